-- Argo CD health of a VirtualCluster (hpc.scailfin.io/v1alpha1), read from the status the operator writes
-- (status.phase, the Ready and CredentialExpiring conditions, status.message: see src/crds/virtualcluster.ts).
-- Plain Lua 5.1, as Argo CD's gopher-lua runs it; test/unit/argocd-health.test.ts runs it on testdata/.
local hs = { status = "Progressing", message = "Waiting for the operator to pick the VirtualCluster up" }

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

if obj.status == nil or obj.status.phase == nil then
  return hs
end

local phase = obj.status.phase
local generation = obj.metadata and obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and observed ~= nil and observed < generation then
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local message = phase
if obj.status.message ~= nil and obj.status.message ~= "" then
  message = obj.status.message
end
local ready = condition("Ready")
local expiring = condition("CredentialExpiring")

if phase == "Running" or (ready ~= nil and ready.status == "True") then
  hs.status = "Healthy"
elseif phase == "Degraded" or phase == "Failed" then
  hs.status = "Degraded"
elseif phase == "Terminated" then
  -- The lifetime ended and every pilot is gone: the intended end, nothing to repair.
  hs.status = "Healthy"
else
  -- Pending, Validating, Provisioning, Terminating.
  hs.status = "Progressing"
end
hs.message = message
if expiring ~= nil and expiring.status == "True" then
  hs.message = message .. "; " .. expiring.message
end
return hs
