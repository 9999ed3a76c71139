-- 10M array push/get (see array.nyash): a 1-based table filled in order, then a sequential
-- and a strided pass of reads.
local n = 10000000
local a = {}
local len = 0
for i = 0, n - 1 do
  len = len + 1
  a[len] = (i * 7) % 1000003
end
local sum = 0
for i = 1, len do
  sum = sum + a[i]
end
local j = 0
for i = 1, len do
  sum = sum + a[j + 1]
  j = j + 7919
  if j >= len then
    j = j - len
  end
end
print(string.format("%d %d", len, sum))
