// Package secret reads a function's secrets from Secrets Manager once, at init.
// The topology gives each function the ids of the secrets it declares in
// KIOSK_SECRET_<NAME>; its role may read only those. The local cloud serves the
// same API (AWS_ENDPOINT_URL_SECRETS_MANAGER).
package secret

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/kiosk-news/kiosk/shared/platform/awsenv"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

// Open returns the current value of a secret the function declares
// (contract.*Secret), or stops its init.
func Open(env *boot.Env, name string) string {
	id := env.Var(contract.SecretEnv(name))
	if id == "" {
		boot.Fail("secret", fmt.Errorf("secret %q: %s is not set; does the function declare it in the topology?", name, contract.SecretEnv(name)))
	}
	return boot.Must(Load(context.Background(), env.AWS, name, id))
}

// Load returns the current value of the declared secret name.
// id is the secret's id (its ARN in AWS), which boot.Env reads from
// contract.SecretEnv(name).
func Load(ctx context.Context, cfg aws.Config, name, id string) (string, error) {
	client := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		o.BaseEndpoint = awsenv.Endpoint("SECRETS_MANAGER")
	})
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	if err != nil {
		return "", fmt.Errorf("secret %q: %w", name, err)
	}
	if aws.ToString(out.SecretString) == "" {
		return "", fmt.Errorf("secret %q is empty", name)
	}
	return aws.ToString(out.SecretString), nil
}
