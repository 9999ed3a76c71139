-- Text-editing kernel (see text.nyash): string.find with plain matching, string.sub and
-- `..` over a table of 2000 lines, 500 passes. Positions are reported 0-based like Nyash's.
local n = 2000
local lines = {}
for i = 0, n - 1 do
  lines[i + 1] = "line " .. i .. ": the quick brown fox jumps over the lazy dog " .. (i % 97)
end
local checksum = 0
for pass = 0, 499 do
  for i = 0, n - 1 do
    local line = lines[i + 1]
    local pos = string.find(line, "fox", 1, true)
    if pos then
      checksum = checksum + (pos - 1)
      line = string.sub(line, 1, pos - 1) .. "cat" .. string.sub(line, pos + 3)
    else
      pos = string.find(line, "cat", 1, true)
      checksum = checksum + (pos - 1)
      line = string.sub(line, 1, pos - 1) .. "fox" .. string.sub(line, pos + 3)
    end
    if (i + pass) % 8 == 0 then
      if math.floor(pass / 8) % 2 == 0 then
        line = "> " .. line
      else
        line = string.sub(line, 3)
      end
    end
    lines[i + 1] = line
  end
end
for i = 1, n do
  checksum = checksum + #lines[i]
end
print(string.format("%d", checksum))
