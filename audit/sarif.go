package audit

import "io"

// SARIF 2.1.0, the subset code-scanning tools read. One run; one rule per finding ID (its
// title, and its highest severity as "security-severity"); one result per finding, whose
// logical location is the finding's target.
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
	LogicalLocations []sarifLogical `json:"logicalLocations"`
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
	return [...]string{"0.0", "3.0", "5.5", "8.0", "9.5"}[s]
}

// RenderSARIF writes the report as a SARIF 2.1.0 log.
func RenderSARIF(w io.Writer, r Report, toolVersion string) error {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "sdocker audit", Version: toolVersion, Rules: []sarifRule{}}}, Results: []sarifResult{}}
	index := map[string]int{}
	for _, f := range r.Findings {
		i, ok := index[f.ID]
		if !ok {
			i = len(run.Tool.Driver.Rules)
			index[f.ID] = i
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
				ID: f.ID, ShortDescription: sarifText{f.Title},
				Properties: map[string]string{"security-severity": securitySeverity(f.Severity)},
			})
		} else if rule := &run.Tool.Driver.Rules[i]; rule.Properties["security-severity"] < securitySeverity(f.Severity) {
			rule.Properties["security-severity"] = securitySeverity(f.Severity)
		}
		run.Results = append(run.Results, sarifResult{
			RuleID: f.ID, RuleIndex: i, Level: sarifLevel(f.Severity),
			Message:    sarifText{f.Evidence + ". Fix: " + f.Fix},
			Locations:  []sarifLocation{{LogicalLocations: []sarifLogical{{Name: f.Target, Kind: "resource"}}}},
			Properties: map[string]string{"severity": f.Severity.String(), "security-severity": securitySeverity(f.Severity), "daemon": r.Daemon.Host},
		})
	}
	return writeJSON(w, sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	})
}
