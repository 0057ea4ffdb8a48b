import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceEnvironment } from "../environment/service-environment";
import { assumeRolePolicy } from "../iam";
import { NAME_LIMITS, physicalName } from "../naming";
import type { Sidecar } from "../service/args";
import type { AwsAccount } from "./aws-account";

/** What a service's task is made of: its container and sidecars, their variables and secrets, and what the task may do. */
export interface TaskArgs {
  /** Its name prefix starts the physical names of the roles, log group, secrets and task family. */
  readonly environment: Pick<ServiceEnvironment, "namePrefix">;
  readonly image: pulumi.Input<string>;
  readonly port: number;
  readonly cpu: number;
  readonly memory: number;
  readonly environmentVariables?: Readonly<Record<string, pulumi.Input<string>>>;
  readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>;
  readonly secretEnvironmentVariables?: Readonly<Record<string, pulumi.Input<string>>>;
  readonly secretRecoveryWindowDays: number;
  readonly logRetentionDays: number;
  readonly sidecars?: readonly Sidecar[];
  readonly taskRolePolicies?: readonly pulumi.Input<string>[];
  readonly tags: Record<string, string>;
  readonly account: AwsAccount;
}

/** A secret environment variable the service stores itself, and the version of it the task reads. */
export interface StoredSecret {
  readonly variable: string;
  readonly secret: aws.secretsmanager.Secret;
  readonly secretArn: pulumi.Output<string>;
  readonly version: aws.secretsmanager.SecretVersion;
}

export interface TaskResult {
  readonly logGroup: aws.cloudwatch.LogGroup;
  /** The role ECS starts the task with: pulls the images, writes the logs, reads the secrets. */
  readonly executionRole: aws.iam.Role;
  readonly executionRolePolicy: aws.iam.RolePolicy;
  /** The role the containers run as, with `taskRolePolicies` attached. */
  readonly taskRole: aws.iam.Role;
  readonly taskRolePolicies: aws.iam.RolePolicy[];
  readonly secrets: StoredSecret[];
  readonly taskDefinition: aws.ecs.TaskDefinition;
}

/** The service's Fargate task definition with its log group, roles and stored secrets, as children of `parent`. */
export function createTask(name: string, args: TaskArgs, parent: pulumi.Resource): TaskResult {
  const opts: pulumi.CustomResourceOptions = { parent };
  const { account, tags } = args;
  const prefix = args.environment.namePrefix;

  const logGroup = new aws.cloudwatch.LogGroup(
    `${name}-logs`,
    { name: `/ecs/${prefix}/${name}`, retentionInDays: args.logRetentionDays, tags },
    opts,
  );

  const ecsTrust = assumeRolePolicy("ecs-tasks.amazonaws.com");
  const executionRole = new aws.iam.Role(
    `${name}-execution`,
    { name: physicalName([prefix, name], "execution", NAME_LIMITS.iamRole), assumeRolePolicy: ecsTrust, tags },
    opts,
  );
  // Secrets the service stores itself, each read at task start by the execution role, pinned to the version that holds
  // the value: "If the secret is subsequently updated ... the container will not receive the updated value" (ECS guide).
  const storedSecrets = Object.entries(args.secretEnvironmentVariables ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([variable, value]) => {
      const secret = new aws.secretsmanager.Secret(
        `${name}-env-${variable}`,
        {
          // A prefix, not a fixed name: a deleted secret's name stays taken for its whole recovery window.
          namePrefix: `${prefix}/${name}/${variable}-`,
          description: `Environment variable ${variable} of service ${name}`,
          recoveryWindowInDays: args.secretRecoveryWindowDays,
          tags,
        },
        opts,
      );
      const version = new aws.secretsmanager.SecretVersion(
        `${name}-env-${variable}`,
        { secretId: secret.arn, secretString: pulumi.secret(value) },
        opts,
      );
      return { variable, secret, secretArn: secret.arn, version };
    });
  const secretArns = [...Object.values(args.secrets ?? {}), ...storedSecrets.map((stored) => stored.secretArn)];
  const executionRolePolicy = new aws.iam.RolePolicy(
    `${name}-execution`,
    {
      role: executionRole.id,
      policy: pulumi
        .all([
          pulumi.output(args.image),
          logGroup.arn,
          pulumi.output(secretArns),
          account.region,
          account.accountId,
          account.partition,
          pulumi.all((args.sidecars ?? []).map((sidecar) => pulumi.output(sidecar.definition).apply((definition) => String(definition.image ?? "")))),
        ])
        .apply(([image, logGroupArn, secrets, regionName, accountId, partitionName, sidecarImages]) =>
          JSON.stringify(executionPolicy({ image, sidecarImages, logGroupArn, secretArns: secrets, region: regionName, accountId, partition: partitionName })),
        ),
    },
    opts,
  );
  const taskRole = new aws.iam.Role(
    `${name}-task`,
    { name: physicalName([prefix, name], "task", NAME_LIMITS.iamRole), assumeRolePolicy: ecsTrust, tags },
    opts,
  );
  const taskRolePolicies = (args.taskRolePolicies ?? []).map(
    (policy, index) => new aws.iam.RolePolicy(`${name}-task-${index}`, { role: taskRole.id, policy }, opts),
  );

  const environmentVariables = Object.entries(args.environmentVariables ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const secrets: [string, pulumi.Input<string>][] = [
    ...Object.entries(args.secrets ?? {}),
    ...storedSecrets.map(({ variable, version }): [string, pulumi.Input<string>] => [
      variable,
      // arn:...:secret:<name>:<json-key>:<version-stage>:<version-id>, the whole value of one version.
      pulumi.interpolate`${version.secretArn}:::${version.versionId}`,
    ]),
  ].sort(([a], [b]) => a.localeCompare(b));
  const appContainer = pulumi
    .all([
      pulumi.output(args.image),
      logGroup.name,
      account.region,
      pulumi.all(environmentVariables.map(([key, value]) => pulumi.output(value).apply((v) => ({ name: key, value: v })))),
      pulumi.all(secrets.map(([key, value]) => pulumi.output(value).apply((v) => ({ name: key, valueFrom: v })))),
    ])
    .apply(([image, logGroupName, regionName, environment, secretRefs]): Record<string, unknown> => ({
      name: "app",
      image,
      essential: true,
      portMappings: [{ containerPort: args.port, protocol: "tcp" }],
      environment,
      secrets: secretRefs,
      logConfiguration: {
        logDriver: "awslogs",
        options: { "awslogs-group": logGroupName, "awslogs-region": regionName, "awslogs-stream-prefix": "app" },
      },
    }));
  const taskDefinition = new aws.ecs.TaskDefinition(
    `${name}-task`,
    {
      family: physicalName([prefix, name], "", NAME_LIMITS.ecs),
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: String(args.cpu),
      memory: String(args.memory),
      executionRoleArn: executionRole.arn,
      taskRoleArn: taskRole.arn,
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
      containerDefinitions: pulumi
        .all([appContainer, logGroup.name, account.region, pulumi.all((args.sidecars ?? []).map((s) => pulumi.output(s.definition)))])
        .apply(([app, logGroupName, regionName, sidecars]) =>
          JSON.stringify([
            app,
            ...(sidecars as Record<string, unknown>[]).map((sidecar) => ({
              logConfiguration: {
                logDriver: "awslogs",
                options: { "awslogs-group": logGroupName, "awslogs-region": regionName, "awslogs-stream-prefix": String(sidecar.name) },
              },
              ...sidecar,
            })),
          ]),
        ),
      tags,
    },
    // ECS starts tasks as soon as the service names this revision: the execution role must already read its secrets
    // (the secrets' values it waits for through valueFrom).
    { ...opts, dependsOn: [executionRolePolicy] },
  );

  return { logGroup, executionRole, executionRolePolicy, taskRole, taskRolePolicies, secrets: storedSecrets, taskDefinition };
}

/** @internal */
/** ECR repository ARN of an image hosted in ECR, or undefined for other registries. */
export function ecrRepositoryArn(image: string, partition: string): string | undefined {
  const match = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(image);
  return match ? `arn:${partition}:ecr:${match[2]}:${match[1]}:repository/${match[3]}` : undefined;
}

/** @internal */
/** Least privilege for starting the task: pull this image, write this log group, read these secrets. */
export function executionPolicy(input: {
  image: string;
  /** Images of the sidecars (e.g. the AppConfig Agent from an ECR pull-through cache): pulled with the same role. */
  sidecarImages?: readonly string[];
  logGroupArn: string;
  secretArns: readonly string[];
  region: string;
  accountId: string;
  partition: string;
}): Record<string, unknown> {
  const repositories = [...new Set([input.image, ...(input.sidecarImages ?? [])].map((image) => ecrRepositoryArn(image, input.partition)).filter((arn) => arn !== undefined))];
  const repository = repositories.length > 1 ? repositories : repositories[0];
  const secretsManager = [...new Set(input.secretArns.filter((arn) => arn.includes(":secretsmanager:")).map(secretPolicyResource))];
  const parameters = input.secretArns.filter((arn) => arn.includes(":ssm:"));
  const statements: Record<string, unknown>[] = [
    { Sid: "WriteLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${input.logGroupArn}:*` },
  ];
  if (repository) {
    statements.push(
      { Sid: "EcrToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
      {
        Sid: "PullImage",
        Effect: "Allow",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        Resource: repository,
      },
    );
  }
  if (secretsManager.length > 0) {
    statements.push({ Sid: "ReadSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secretsManager });
  }
  if (parameters.length > 0) {
    statements.push({ Sid: "ReadParameters", Effect: "Allow", Action: "ssm:GetParameters", Resource: parameters });
  }
  // A secret or SecureString parameter under a customer managed key needs kms:Decrypt on that key: "kms:Decrypt—Required
  // only if your key uses a custom KMS key and not the default key" (AWS's task-execution-role guides). Which key a
  // secret uses is not in its ARN, so any key, but only as Secrets Manager or Parameter Store uses it for this role
  // (kms:ViaService), which reads nothing but the secrets above. The key's policy must let IAM grant it (AWS's default
  // key policy does).
  const services = [
    ...new Set([...secretsManager, ...parameters].map((arn) => `${arn.split(":")[2] === "ssm" ? "ssm" : "secretsmanager"}.${arn.split(":")[3]}.amazonaws.com`)),
  ].sort();
  if (services.length > 0) {
    statements.push({ Sid: "DecryptSecrets", Effect: "Allow", Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "kms:ViaService": services } } });
  }
  return { Version: "2012-10-17", Statement: statements };
}

/** A secret's name in a full ARN ends in the hyphen and six characters Secrets Manager appends. */
const SECRET_SUFFIX = /-[A-Za-z0-9]{6}$/;

/** @internal */
/**
 * The resource an IAM policy must name for a secret reference. A JSON-key selector (`:key:stage:version`) is not part
 * of it. A partial ARN (no `-XXXXXX` suffix) is accepted by GetSecretValue, but IAM matches the request against the
 * secret's real ARN, which has the suffix: Secrets Manager's guide has policies name
 * `arn:aws:secretsmanager:Region:AccountId:secret:SecretName-??????` ("the six random characters"). Secrets Manager
 * itself reads a name ending in a hyphen and six characters as a full ARN ("then those characters cause Secrets Manager
 * to assume that you're specifying a complete ARN"), and so does this.
 */
export function secretPolicyResource(reference: string): string {
  const arn = reference.split(":").slice(0, 7).join(":");
  return SECRET_SUFFIX.test(arn.split(":")[6] ?? "") ? arn : `${arn}-??????`;
}
