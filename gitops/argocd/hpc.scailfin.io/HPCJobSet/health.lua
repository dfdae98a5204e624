-- Argo CD health of an HPCJobSet (hpc.scailfin.io/v1alpha1), read from the status the operator writes
-- (status.phase, status.conditions, status.message: see src/crds/hpcjobset.ts). Plain Lua 5.1, as Argo CD's
-- gopher-lua runs it; test/unit/argocd-health.test.ts runs it with lua5.1 and lua5.4 on testdata/.
local hs = { status = "Progressing", message = "Waiting for the operator to pick the HPCJobSet up" }

local function condition(kind)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

local function text(value, fallback)
  if value ~= nil and value ~= "" then
    return value
  end
  return fallback
end

if obj.status == nil or obj.status.phase == nil then
  return hs
end

local phase = obj.status.phase
-- A status computed from an older spec says nothing about the current one.
local generation = obj.metadata and obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and observed ~= nil and observed < generation then
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local accepted = condition("Accepted")
if phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = text(obj.status.message, "Succeeded")
elseif phase == "Failed" then
  -- Every index ended and some failed or were cancelled (or the spec was refused, or the set cancelled).
  hs.status = "Degraded"
  hs.message = text(obj.status.message, "Failed")
elseif accepted ~= nil and accepted.status == "False" then
  hs.status = "Degraded"
  hs.message = text(accepted.message, "The spec was not accepted")
elseif phase == "Suspended" then
  hs.status = "Suspended"
  hs.message = text(obj.status.message, "Suspended (spec.suspend is true)")
else
  -- Pending, Running: the counts say how far it is.
  hs.message = phase
  if obj.status.message ~= nil and obj.status.message ~= "" then
    hs.message = phase .. ": " .. obj.status.message
  end
end
return hs
