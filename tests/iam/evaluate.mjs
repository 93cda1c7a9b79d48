// Runs @cloud-copilot/iam-simulate over a batch of simulations.
//
// stdin:  JSON [{"id": str, "simulation": <iam-simulate Simulation>}]; the principal
//         "anonymous" becomes the library's anonymousPrincipal (an unsigned request).
// stdout: JSON [{"id": str, "result": "Allowed" | "ExplicitlyDenied" |
//         "ImplicitlyDenied" | "Error", "detail"?: ...}]
//
// Every simulation is validated (policy grammar, action, resource type, context
// keys). A context key the library does not know for the request is an Error,
// never silently dropped - with one exception: iam-simulate 0.1.173 recognises
// variable context keys only when the variable follows a "/" (aws:PrincipalTag/x),
// so it drops KMS's "kms:EncryptionContext:<key>". When those are the only keys it
// dropped, the validated simulation is run again through the library's own
// engine without that filter (what its runUnsafeSimulation does, which in 0.1.173
// loads the resource policy without a name and then fails on it), so the condition
// is evaluated. Driven by tests/iam/test_policy_evaluation.py; it decides nothing.
import { loadPolicy } from '@cloud-copilot/iam-policy'
import { anonymousPrincipal, runSimulation } from '@cloud-copilot/iam-simulate'

const engine = (path) => import(new URL(`./node_modules/@cloud-copilot/iam-simulate/dist/esm/${path}`, import.meta.url))
const { authorize } = await engine('core_engine/CoreSimulatorEngine.js')
const { AwsRequestImpl } = await engine('request/request.js')
const { RequestContextImpl } = await engine('requestContext.js')
const { DiscoveryContextKeyConstraints } = await engine('context_keys/discoveryContextKeyConstraints.js')

const ENCRYPTION_CONTEXT = /^kms:encryptioncontext:.+/i

// The validated engine call of runSimulation, with the context as given.
function authorizeUnfiltered(simulation) {
  const named = ({ name, policy }) => loadPolicy(policy, { name })
  const analysis = authorize({
    request: new AwsRequestImpl(
      simulation.request.principal,
      { resource: simulation.request.resource.resource, accountId: simulation.request.resource.accountId },
      simulation.request.action,
      new RequestContextImpl(simulation.request.contextVariables)
    ),
    sessionPolicy: undefined,
    identityPolicies: simulation.identityPolicies.map(named),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: simulation.resourcePolicy ? loadPolicy(simulation.resourcePolicy, { name: 'resource-policy' }) : undefined,
    permissionBoundaries: undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: { simulationMode: 'Strict', discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]) },
    serviceSettings: { s3: {} }
  })
  return analysis.result
}

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const batch = JSON.parse(Buffer.concat(chunks).toString('utf8'))

async function evaluate(simulation) {
  if (simulation.request.principal === 'anonymous') {
    simulation.request.principal = anonymousPrincipal
  }
  const response = await runSimulation(simulation, {})
  if (response.resultType === 'error') {
    return { result: 'Error', detail: response.errors }
  }
  if (response.resultType !== 'single') {
    return { result: 'Error', detail: `expected one resource, got ${response.resultType}` }
  }
  const ignored = response.result.ignoredContextKeys ?? []
  if (ignored.length === 0) {
    return { result: response.overallResult }
  }
  if (!ignored.every((key) => ENCRYPTION_CONTEXT.test(key))) {
    return { result: 'Error', detail: `context keys not valid for this request: ${ignored.join(', ')}` }
  }
  return { result: authorizeUnfiltered(simulation), detail: 'kms:EncryptionContext evaluated without the library key filter' }
}

const results = []
for (const { id, simulation } of batch) {
  results.push({ id, ...(await evaluate(simulation)) })
}
process.stdout.write(JSON.stringify(results))
