-- Sieve of Eratosthenes up to 8M, twice (see sieve.nyash): a 1-based table of booleans.
local function sieve(n)
  local flags = {}
  for i = 0, n do
    flags[i + 1] = true
  end
  flags[1] = false
  flags[2] = false
  local i = 2
  while i * i <= n do
    if flags[i + 1] then
      local j = i * i
      while j <= n do
        flags[j + 1] = false
        j = j + i
      end
    end
    i = i + 1
  end
  local count = 0
  for k = 0, n do
    if flags[k + 1] then
      count = count + 1
    end
  end
  return count
end

local limit = 8000000
local total = 0
for pass = 0, 1 do
  total = total + sieve(limit - pass)
end
print(string.format("%d", total))
