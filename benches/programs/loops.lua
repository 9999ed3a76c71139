-- Integer loop with arithmetic and `%` branches (see loops.nyash). All values stay below
-- 2^53 and non-negative, so Lua's doubles, floored `%` and `/` give the same integers.
local n = 30000000
local acc = 0
local i = 0
while i < n do
  local r = i % 7
  if r == 0 then
    acc = acc + (i - r) / 7
  elseif r < 3 then
    acc = acc + i * 3
  else
    acc = acc + (i % 13) * r
  end
  if acc > 1000000000 then
    acc = acc % 1000003
  end
  i = i + 1
end
print(string.format("%d", acc))
