-- N-body simulation, five Jovian planets, 1M steps (see nbody.nyash): bodies are tables
-- with named fields; the arithmetic order matches the C and Nyash versions exactly.
local PI = 3.141592653589793
local SOLAR_MASS = 4.0 * PI * PI
local DAYS_PER_YEAR = 365.24
local sqrt, floor = math.sqrt, math.floor

local function body(x, y, z, vx, vy, vz, mass)
  return { x = x, y = y, z = z, vx = vx * DAYS_PER_YEAR, vy = vy * DAYS_PER_YEAR,
           vz = vz * DAYS_PER_YEAR, mass = mass * SOLAR_MASS }
end

local function advance(bodies, n, dt)
  for i = 1, n do
    local bi = bodies[i]
    for j = i + 1, n do
      local bj = bodies[j]
      local dx = bi.x - bj.x
      local dy = bi.y - bj.y
      local dz = bi.z - bj.z
      local d2 = dx * dx + dy * dy + dz * dz
      local mag = dt / (d2 * sqrt(d2))
      local bim = bi.mass * mag
      local bjm = bj.mass * mag
      bi.vx = bi.vx - dx * bjm
      bi.vy = bi.vy - dy * bjm
      bi.vz = bi.vz - dz * bjm
      bj.vx = bj.vx + dx * bim
      bj.vy = bj.vy + dy * bim
      bj.vz = bj.vz + dz * bim
    end
  end
  for i = 1, n do
    local b = bodies[i]
    b.x = b.x + dt * b.vx
    b.y = b.y + dt * b.vy
    b.z = b.z + dt * b.vz
  end
end

local function energy(bodies, n)
  local e = 0.0
  for i = 1, n do
    local bi = bodies[i]
    e = e + 0.5 * bi.mass * (bi.vx * bi.vx + bi.vy * bi.vy + bi.vz * bi.vz)
    for j = i + 1, n do
      local bj = bodies[j]
      local dx = bi.x - bj.x
      local dy = bi.y - bj.y
      local dz = bi.z - bj.z
      e = e - bi.mass * bj.mass / sqrt(dx * dx + dy * dy + dz * dz)
    end
  end
  return e
end

local function offset_momentum(bodies, n)
  local px, py, pz = 0.0, 0.0, 0.0
  for i = 1, n do
    px = px + bodies[i].vx * bodies[i].mass
    py = py + bodies[i].vy * bodies[i].mass
    pz = pz + bodies[i].vz * bodies[i].mass
  end
  bodies[1].vx = 0.0 - px / SOLAR_MASS
  bodies[1].vy = 0.0 - py / SOLAR_MASS
  bodies[1].vz = 0.0 - pz / SOLAR_MASS
end

local bodies = {
  body(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0),
  body(4.84143144246472090, -1.16032004402742839, -0.103622044471123109,
       0.00166007664274403694, 0.00769901118419740425, -0.0000690460016972063023,
       0.000954791938424326609),
  body(8.34336671824457987, 4.12479856412430479, -0.403523417114321381,
       -0.00276742510726862411, 0.00499852801234917238, 0.0000230417297573763929,
       0.000285885980666130812),
  body(12.8943695621391310, -15.1111514016986312, -0.223307578892655734,
       0.00296460137564761618, 0.00237847173959480950, -0.0000296589568540237556,
       0.0000436624404335156298),
  body(15.3796971148509165, -25.9193146099879641, 0.179258772950371181,
       0.00268067772490389322, 0.00162824170038242295, -0.0000951592254519715870,
       0.0000515138902046611451),
}
offset_momentum(bodies, 5)
print(string.format("%d", floor(energy(bodies, 5) * 1000000000.0)))
for s = 1, 1000000 do
  advance(bodies, 5, 0.01)
end
print(string.format("%d", floor(energy(bodies, 5) * 1000000000.0)))
