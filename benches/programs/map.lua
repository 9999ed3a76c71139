-- 1M map inserts and lookups with string keys (see map.nyash): a Lua table keyed by
-- "k<i>" strings.
local n = 1000000
local m = {}
local size = 0
for i = 0, n - 1 do
  local key = "k" .. i
  if m[key] == nil then
    size = size + 1
  end
  m[key] = i % 1000
end
local sum, misses = 0, 0
for i = 0, n - 1 do
  local v = m["k" .. (i * 2)]
  if v ~= nil then
    sum = sum + v
  else
    misses = misses + 1
  end
end
print(string.format("%d %d %d", size, sum, misses))
