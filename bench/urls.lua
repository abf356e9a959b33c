-- wrk script: cycles through the URL paths in the file named by the first script argument,
-- starting at a random place, so each connection walks the same random set.
local paths = {}
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  i = math.random(#paths)
end
function request()
  i = (i % #paths) + 1
  return wrk.format("GET", paths[i])
end
