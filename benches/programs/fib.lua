-- fib(35) by naive double recursion (see fib.nyash): prints 9227465.
local function fib(n)
  if n < 2 then
    return n
  end
  return fib(n - 1) + fib(n - 2)
end

print(string.format("%d", fib(35)))
