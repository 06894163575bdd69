package verify

import (
	"context"
	"fmt"
)

// scanRemote scans an image on its registry. It first reads what in.Ref names there: an image
// manifest is scanned by its digest; an index (several images under one digest) is resolved to
// the child docker will pull for in.Platform, and that child is scanned by its digest, reported
// (Digest, Platform, Index) and cached under its own digest. trivy is never handed a tag or an
// index, whose child it would pick by rules of its own. Under scan.all_platforms every image of
// the index must pass too.
func scanRemote(ctx context.Context, in ScanInput, rep *ScanReport) (*ScanReport, error) {
	ref, err := ParseRef(in.Ref)
	if err != nil {
		return rep, fmt.Errorf("scanning %s: %w", in.Name, err)
	}
	var r Resolver = HelperResolver{}
	if in.Resolver != nil {
		r = in.Resolver
	}
	r = cachedResolver{r: r, cache: in.Cache, fresh: in.FreshTag}
	res, err := r.Resolve(ctx, ResolveRequest{Reference: in.Ref, DockerConfig: in.DockerConfig})
	if err != nil {
		return scanFailed(ctx, in, rep, &ScannerError{Ref: in.Name, Op: "reading its manifest on the registry", Err: err})
	}
	if ref.Digest != "" && res.Digest != ref.Digest {
		return rep, &ScannerError{Ref: in.Name, Op: "reading its manifest on the registry",
			Err: fmt.Errorf("the registry answered %s for %s", res.Digest, ref.Digest)}
	}
	if !res.IsIndex() {
		rep.Digest = res.Digest
		in.Ref = ref.Pinned(res.Digest)
		return scanImage(ctx, in, rep)
	}

	rep.Index = res.Digest
	if in.Platform == "" {
		return rep, &PlatformError{Ref: in.Name, Msg: fmt.Sprintf(
			"%s is an index of several images (%s) and no platform was given to pick the one docker will run; pass --platform",
			res.Digest, childPlatforms(res.Manifests))}
	}
	want, err := ParsePlatform(in.Platform)
	if err != nil {
		return rep, &PlatformError{Ref: in.Name, Msg: err.Error()}
	}
	child, ok := PickChild(res.Manifests, want)
	if !ok {
		return rep, &PlatformError{Ref: in.Name, Msg: fmt.Sprintf(
			"the index %s has no image for %s (it has %s), so docker could not run it either; pass --platform with one of those",
			res.Digest, FormatPlatform(want), childPlatforms(res.Manifests))}
	}
	rep.Digest, rep.Platform = child.Digest, FormatPlatform(*child.Platform)
	in.Ref = ref.Pinned(child.Digest)
	if rep, err = scanImage(ctx, in, rep); err != nil || !in.Rule.AllPlatforms {
		return rep, err
	}

	// scan.all_platforms: every other image of the index must pass as well.
	for _, c := range res.Manifests {
		if c.Digest == child.Digest || (!c.IsImage() && !isIndexType(c.MediaType)) {
			continue
		}
		cr := &ScanReport{Ref: ref.Pinned(c.Digest), Name: in.Name, Rule: in.RuleMatch, Digest: c.Digest, Index: res.Digest,
			Platform: "(no platform)", FailOn: rep.FailOn}
		if c.Platform != nil {
			cr.Platform = FormatPlatform(*c.Platform)
		}
		if isIndexType(c.MediaType) {
			return cr, &PlatformError{Ref: in.Name, Msg: fmt.Sprintf(
				"the index %s holds another index (%s), which scan.all_platforms cannot judge", res.Digest, c.Digest)}
		}
		cin := in
		cin.Ref = cr.Ref
		cr, err := scanImage(ctx, cin, cr)
		rep.Children = append(rep.Children, cr)
		if err != nil {
			cr.Warnings = append(cr.Warnings, fmt.Sprintf(
				"scan.all_platforms: every image of the index %s must pass; this one is for %s (docker would run %s, %s)",
				res.Digest, cr.Platform, rep.Platform, rep.Digest))
			return cr, err
		}
		rep.Warnings = append(rep.Warnings, prefixed(cr.Platform+": ", cr.Warnings)...)
	}
	return rep, nil
}

func prefixed(prefix string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = prefix + s
	}
	return out
}
