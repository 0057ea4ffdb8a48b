// The floor: a Node process that only loads @pulumi/pulumi and the @pulumi/aws modules the program uses.
require("@pulumi/pulumi");
const aws = require("@pulumi/aws");
for (const module of ["appautoscaling", "appconfig", "cloudwatch", "ec2", "ecs", "elb", "iam", "kms", "lambda", "lb", "s3", "sns", "vpc"]) {
  void aws[module].constructor;
}
void aws.getCallerIdentityOutput;
if (process.env.RELEASE_REPORT_MAXRSS) process.stderr.write(`maxrss-kb ${process.resourceUsage().maxRSS}\n`);
