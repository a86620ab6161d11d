// Command k8sdecode decodes every object of a multi-document YAML file strictly into its
// k8s.io/api type (unknown or duplicate fields are errors) and checks the limits the API server
// would enforce on names, labels and ConfigMap size. tests/test_kubernetes.py runs it on the
// objects `llmobs render --target kubernetes` writes itself (kubernetes/objects.yaml).
package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// strict decodes as the API server does with strict field validation: YAML to JSON rejecting
// duplicate keys, then case-sensitive JSON rejecting unknown and duplicate fields (Go's
// encoding/json alone would take "clusterIp" for clusterIP).
func strict(doc []byte, into any) error {
	data, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strictErrs, err := sigsjson.UnmarshalStrict(data, into)
	if err != nil {
		return err
	}
	if len(strictErrs) > 0 {
		return fmt.Errorf("%v", strictErrs)
	}
	return nil
}

// maxConfigMapBytes is corev1's limit on a ConfigMap's data (validation.MaxSecretSize / ConfigMap).
const maxConfigMapBytes = 1024 * 1024

func decode(doc []byte) (string, error) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return "", err
	}
	if head.APIVersion != "v1" {
		return "", fmt.Errorf("unexpected apiVersion %q", head.APIVersion)
	}
	var errs field.ErrorList
	switch head.Kind {
	case "ConfigMap":
		var cm corev1.ConfigMap
		if err := strict(doc, &cm); err != nil {
			return "", err
		}
		size := 0
		for key, value := range cm.Data {
			size += len(key) + len(value)
			for _, msg := range utilvalidation.IsConfigMapKey(key) {
				errs = append(errs, field.Invalid(field.NewPath("data").Key(key), key, msg))
			}
		}
		if size > maxConfigMapBytes {
			errs = append(errs, field.TooLong(field.NewPath("data"), "", maxConfigMapBytes))
		}
		errs = append(errs, meta(cm.Name, cm.Labels)...)
		return "ConfigMap/" + cm.Name, errs.ToAggregate()
	case "Service":
		var svc corev1.Service
		if err := strict(doc, &svc); err != nil {
			return "", err
		}
		errs = append(errs, meta(svc.Name, svc.Labels)...)
		errs = append(errs, validation.ValidateLabels(svc.Spec.Selector, field.NewPath("spec", "selector"))...)
		for i, p := range svc.Spec.Ports {
			for _, msg := range utilvalidation.IsValidPortNum(int(p.Port)) {
				errs = append(errs, field.Invalid(field.NewPath("spec", "ports").Index(i), p.Port, msg))
			}
		}
		return "Service/" + svc.Name, errs.ToAggregate()
	}
	return "", fmt.Errorf("kind %q is not one llmobs writes", head.Kind)
}

func meta(name string, labels map[string]string) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range utilvalidation.IsDNS1123Subdomain(name) {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), name, msg))
	}
	return append(errs, validation.ValidateLabels(labels, field.NewPath("metadata", "labels"))...)
}

func main() {
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	failed := false
	for i, doc := range bytes.Split(data, []byte("\n---\n")) {
		if strings.TrimSpace(string(doc)) == "" {
			continue
		}
		id, err := decode(doc)
		if err != nil {
			fmt.Printf("document %d %s: %v\n", i, id, err)
			failed = true
			continue
		}
		fmt.Println("ok", id)
	}
	if failed {
		os.Exit(1)
	}
}
