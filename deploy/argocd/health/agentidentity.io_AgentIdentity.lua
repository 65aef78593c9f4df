-- Argo CD health for agentidentity.io/AgentIdentity (Lua 5.1, as Argo CD runs it).
-- Healthy: Ready and reconciled at the current generation. Suspended: suspended, quarantined
-- or expired (on purpose, not broken). Progressing: not yet reconciled, or being deleted.
-- Degraded: reconciled, not Ready, for a reason that needs someone to act.
local hs = {}

local function condition(status, kind)
  if status.conditions == nil then return nil end
  for _, c in ipairs(status.conditions) do
    if c.type == kind then return c end
  end
  return nil
end

if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile the agent"
  return hs
end

local generation = obj.metadata.generation or 0
local observed = obj.status.observedGeneration or 0
if observed < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile generation " .. generation
  return hs
end

local phase = obj.status.phase or ""
local ready = condition(obj.status, "Ready")

if phase == "Quarantined" then
  local reason = "quarantined"
  if obj.status.quarantine ~= nil and obj.status.quarantine.reason ~= nil then
    reason = "quarantined: " .. obj.status.quarantine.reason
  end
  hs.status = "Suspended"
  hs.message = "The agent is " .. reason
  return hs
end
if phase == "Suspended" or phase == "Expired" then
  hs.status = "Suspended"
  hs.message = "The agent is " .. string.lower(phase)
  return hs
end
if phase == "Terminating" then
  hs.status = "Progressing"
  if ready ~= nil and ready.message ~= nil then hs.message = ready.message else hs.message = "Offboarding" end
  return hs
end

if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Ready condition"
  return hs
end
if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message
  return hs
end
hs.status = "Degraded"
hs.message = ready.message
for _, c in ipairs(obj.status.conditions) do
  if c.type ~= "Ready" and c.type ~= "Suspended" and c.status == "False" then
    hs.message = c.type .. " " .. c.reason .. ": " .. c.message
    break
  end
end
return hs
