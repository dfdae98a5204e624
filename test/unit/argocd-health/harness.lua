-- Runs an Argo CD health script the way Argo CD does: the object in the global obj, the chunk's return value
-- is the health. Usage: lua harness.lua SCRIPT < OBJECT, with OBJECT a Lua table constructor.
-- Prints the status, a newline, then the message.
local script = arg[1]
local source = io.read("*a")
local loader = loadstring or load -- Lua 5.1 (as Argo CD's gopher-lua) or 5.2+
obj = assert(loader("return " .. source))()
local hs = dofile(script)
io.write(tostring(hs.status), "\n", tostring(hs.message))
