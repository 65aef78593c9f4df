-- Argo CD health for agentidentity.io/AgentPolicy (Lua 5.1). Healthy when the operator can
-- honour the policy as written at its current generation; Degraded when it cannot (a
-- ClusterRole outside the allow-list); Progressing until reconciled.
local hs = {}
if obj.status == nil or (obj.status.observedGeneration or 0) < (obj.metadata.generation or 0) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to check the policy"
  return hs
end
if obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Ready" then
      if c.status == "True" then hs.status = "Healthy" else hs.status = "Degraded" end
      hs.message = c.message
      return hs
    end
  end
end
hs.status = "Progressing"
hs.message = "Waiting for the Ready condition"
return hs
