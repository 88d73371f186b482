// The plan names Deployments and DaemonSets with the pure Kubernetes types of `KubeObjects`
// (`DeploymentView`, `ObjectKey`): importing `Autoscaling` brings them along, so that the planning
// entry point (`ReconcilePlan`) is usable with this one import.
@_exported import KubeObjects
