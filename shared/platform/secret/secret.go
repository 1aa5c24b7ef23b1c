// Package secret reads a function's secrets from Secrets Manager once, at init.
// The topology gives each function the ids of the secrets it declares in
// KIOSK_SECRET_<NAME>; its role may read only those. The local cloud serves the
// same API (AWS_ENDPOINT_URL_SECRETS_MANAGER).
package secret

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/kiosk-news/kiosk/shared/platform/awsenv"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

// Load returns the current value of the declared secret name.
func Load(ctx context.Context, cfg aws.Config, name string) (string, error) {
	id := os.Getenv(contract.SecretEnv(name))
	if id == "" {
		return "", fmt.Errorf("secret %q: %s is not set; does the function declare it in the topology?", name, contract.SecretEnv(name))
	}
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
