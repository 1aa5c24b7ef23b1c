package local

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// secretsManager answers Secrets Manager's GetSecretValue for the declared
// secrets with local values, so functions read secrets the same way in AWS and
// locally.
type secretsManager struct {
	values  map[string]string   // by secret id
	allowed map[string][]string // function → the secret ids it declares
}

func (s *secretsManager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
		awsError(w, http.StatusBadRequest, "UnknownOperationException", "the local Secrets Manager serves GetSecretValue only")
		return
	}
	var in struct {
		SecretID string `json:"SecretId"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err := json.Unmarshal(body, &in); err != nil {
		awsError(w, http.StatusBadRequest, "InvalidRequestException", err.Error())
		return
	}
	if fn, isFunction := caller(r); isFunction && !slices.Contains(s.allowed[fn], in.SecretID) {
		accessDenied(w, http.StatusBadRequest, "application/x-amz-json-1.1", fn, "secretsmanager:GetSecretValue",
			"arn:aws:secretsmanager:"+Region+":"+Account+":secret:"+in.SecretID)
		return
	}
	v, ok := s.values[in.SecretID]
	if !ok {
		awsError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	name := in.SecretID[strings.LastIndex(in.SecretID, "/")+1:]
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"ARN": "arn:aws:secretsmanager:" + Region + ":" + Account + ":secret:" + in.SecretID, "Name": name,
		"SecretString": v, "VersionId": "local", "VersionStages": []string{"AWSCURRENT"},
		"CreatedDate": float64(time.Now().Unix()),
	})
}

// awsEndpoint serves the local AWS APIs on one port, told apart by X-Amz-Target
// as AWS's JSON protocols are.
type awsEndpoint struct {
	bus     *Bus
	secrets *secretsManager
}

func (a *awsEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, "secretsmanager."):
		a.secrets.ServeHTTP(w, r)
	case strings.HasPrefix(target, "AmazonSQS."):
		a.bus.serveSQS(w, r, strings.TrimPrefix(target, "AmazonSQS."))
	case strings.HasPrefix(r.URL.Path, "/2015-03-31/functions/"):
		a.bus.serveInvoke(w, r)
	default:
		a.bus.ServeHTTP(w, r)
	}
}
