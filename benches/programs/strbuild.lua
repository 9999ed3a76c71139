-- Building a long string from 1M small pieces (see strbuild.nyash): each of 5000 lines is
-- concatenated from 200 pieces with `..`, and the lines are joined with table.concat.
local lines = 5000
local pieces_per_line = 200
local parts = {}
local i = 0
for l = 1, lines do
  local line = ""
  for p = 1, pieces_per_line do
    line = line .. (i % 1000) .. ";"
    i = i + 1
  end
  parts[l] = line
end
local all = table.concat(parts)
print(string.format("%d", #all))
for k = 0, 4 do
  local at = (k * 777777) % #all
  print(string.sub(all, at + 1, at + 12))
end
