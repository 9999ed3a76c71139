-- 200x200 float matrix multiply, 8 times (see matmul.nyash): flat 1-based tables, the same
-- operation order as the Nyash and C versions, so the checksum is bit-identical.
local n = 200
local a, b, c = {}, {}, {}
for i = 0, n - 1 do
  for j = 0, n - 1 do
    a[i * n + j + 1] = ((i * 31 + j * 17) % 100) / 10.0
    b[i * n + j + 1] = ((i * 7 + j * 13) % 50) / 25.0
    c[i * n + j + 1] = 0.0
  end
end
local checksum = 0.0
for rep = 0, 7 do
  for i = 0, n - 1 do
    for j = 0, n - 1 do
      local s = 0.0
      for k = 0, n - 1 do
        s = s + a[i * n + k + 1] * b[k * n + j + 1]
      end
      c[i * n + j + 1] = s
    end
  end
  for i = 1, n * n do
    checksum = checksum + c[i]
  end
  a[(rep * 7919) % (n * n) + 1] = rep * 0.5
end
print(string.format("%d", math.floor(checksum * 1000.0)))
