package llmobsconnector

import (
	"errors"
	"fmt"
)

// Config lists the extra span attributes that become labels of every metric (llmobs.yaml
// metrics.labels, already bounded by the llmobs processor in front of the connector).
type Config struct {
	Labels []string `mapstructure:"labels"`
}

// Validate refuses an empty or repeated label name.
func (c *Config) Validate() error {
	seen := map[string]bool{}
	var errs []error
	for i, l := range c.Labels {
		switch {
		case l == "":
			errs = append(errs, fmt.Errorf("labels[%d] is empty: name a span attribute such as gen_ai.agent.name", i))
		case seen[l]:
			errs = append(errs, fmt.Errorf("labels[%d] %q is listed twice", i, l))
		}
		seen[l] = true
	}
	return errors.Join(errs...)
}
