package audit

import (
	"io"
	"net/url"
	"strings"
)

// SARIF 2.1.0, the subset code-scanning tools read. One run; one rule per finding ID (its
// title, and its highest severity as "security-severity"); one result per finding, whose
// physical location is a stable URI for its target (see Render) and whose logical location
// is the target.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name    string      `json:"name"`
	Version string      `json:"version"`
	Rules   []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID               string            `json:"id"`
	ShortDescription sarifText         `json:"shortDescription"`
	Properties       map[string]string `json:"properties"`
}

type sarifResult struct {
	RuleID     string            `json:"ruleId"`
	RuleIndex  int               `json:"ruleIndex"`
	Level      string            `json:"level"`
	Message    sarifText         `json:"message"`
	Locations  []sarifLocation   `json:"locations"`
	Properties map[string]string `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifLogical struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// sarifLevel and securitySeverity map severities to SARIF levels and to the 0–10 scores that
// code-scanning tools sort by.
func sarifLevel(s Severity) string {
	switch {
	case s >= High:
		return "error"
	case s == Medium:
		return "warning"
	}
	return "note"
}

func securitySeverity(s Severity) string {
	switch {
	case s >= Critical:
		return "9.5"
	case s == High:
		return "8.0"
	case s == Medium:
		return "5.5"
	case s == Low:
		return "3.0"
	}
	return "0.0"
}

// artifactURI is the stable pseudo-URI of a finding's target (documented at Render).
func artifactURI(target string, d DaemonRef) string {
	switch {
	case target == "daemon" && d.Config != "":
		return (&url.URL{Scheme: "file", Path: d.Config}).String()
	case strings.HasPrefix(target, "container "):
		name, _, _ := strings.Cut(strings.TrimPrefix(target, "container "), " ")
		return "docker://container/" + url.PathEscape(name)
	}
	return "docker://" + url.PathEscape(strings.ToLower(target))
}

// RenderSARIF writes the report as a SARIF 2.1.0 log.
func RenderSARIF(w io.Writer, r Report, toolVersion string) error {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "sdocker audit", Version: toolVersion, Rules: []sarifRule{}}}, Results: []sarifResult{}}
	index := map[string]int{}
	var highest []Severity // per rule
	for _, f := range r.Findings {
		i, ok := index[f.ID]
		if !ok {
			i = len(run.Tool.Driver.Rules)
			index[f.ID] = i
			highest = append(highest, f.Severity)
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
				ID: f.ID, ShortDescription: sarifText{f.Title},
				Properties: map[string]string{"security-severity": securitySeverity(f.Severity)},
			})
		} else if f.Severity > highest[i] {
			highest[i] = f.Severity
			run.Tool.Driver.Rules[i].Properties["security-severity"] = securitySeverity(f.Severity)
		}
		run.Results = append(run.Results, sarifResult{
			RuleID: f.ID, RuleIndex: i, Level: sarifLevel(f.Severity),
			Message: sarifText{f.Evidence + ". Fix: " + f.Fix},
			Locations: []sarifLocation{{
				PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: artifactURI(f.Target, r.Daemon)}},
				LogicalLocations: []sarifLogical{{Name: f.Target, Kind: "resource"}},
			}},
			Properties: map[string]string{"severity": f.Severity.String(), "security-severity": securitySeverity(f.Severity), "daemon": r.Daemon.Host},
		})
	}
	return writeJSON(w, sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	})
}
