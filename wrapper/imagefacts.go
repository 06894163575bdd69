package wrapper

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"

	"sdocker/defaults"
)

// InspectImage asks the daemon what the decision needs to know of an image (its USER, and its
// ID and repo digests, which content-bound exceptions name). It
// returns nil, and no error, when the daemon does not have the image: docker pulls it later, and
// the decision says what it assumed.
func InspectImage(ctx context.Context, api Getter, image string) (*defaults.ImageFacts, error) {
	if image == "" {
		return nil, nil
	}
	var img struct {
		ID          string `json:"Id"`
		RepoDigests []string
		Config      struct {
			User         string
			ExposedPorts map[string]struct{}
		}
	}
	err := api.Get(ctx, "/images/"+url.PathEscape(image)+"/json", &img)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("inspecting image %s for its user: %w", image, err)
	}
	f := &defaults.ImageFacts{User: img.Config.User, ID: img.ID, RepoDigests: img.RepoDigests}
	for p := range img.Config.ExposedPorts {
		f.ExposedPorts = append(f.ExposedPorts, p)
	}
	slices.Sort(f.ExposedPorts)
	return f, nil
}
