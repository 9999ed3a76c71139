-- 50M method calls on a counter object (see methods.nyash): a table with a metatable,
-- called with `:` syntax.
local Counter = {}
Counter.__index = Counter

function Counter.new()
  return setmetatable({ count = 0, sum = 0 }, Counter)
end

function Counter:add(x)
  self.count = self.count + 1
  self.sum = self.sum + x
  if self.sum > 1000000000 then
    self.sum = self.sum - 1000000000
  end
end

function Counter:getCount()
  return self.count
end

local n = 25000000
local c = Counter.new()
local i = 0
while i < n do
  c:add(i)
  if c:getCount() < 0 then
    break
  end
  i = i + 1
end
print(string.format("%d %d", c.count, c.sum))
