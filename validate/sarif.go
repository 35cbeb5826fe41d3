package validate

import (
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
)

// The SARIF 2.1.0 document dagnfs writes, with only the properties it
// sets (the tests validate every document against the 2.1.0 schema).

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool                   `json:"tool"`
	OriginalURIBaseIDs map[string]sarifArtifactLoc `json:"originalUriBaseIds,omitempty"`
	Results            []sarifResult               `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string        `json:"id"`
	ShortDescription     sarifText     `json:"shortDescription"`
	FullDescription      sarifText     `json:"fullDescription"`
	Help                 sarifText     `json:"help"`
	DefaultConfiguration sarifRuleConf `json:"defaultConfiguration"`
}

type sarifRuleConf struct {
	Level string `json:"level"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Kind      string          `json:"kind"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifactLoc `json:"artifactLocation"`
	Region           *sarifRegion     `json:"region,omitempty"`
}

type sarifArtifactLoc struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

// writeSARIF writes SARIF 2.1.0: every rule with its description and help,
// file URIs relative to the path base (named in originalUriBaseIds when
// known), regions with line and column.
func (r *Report) writeSARIF(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r.sarif())
}

// sarif builds the SARIF 2.1.0 document of the report.
func (r *Report) sarif() sarifLog {
	version := r.ToolVersion
	if version == "" {
		version = "dev"
	}
	run := sarifRun{
		Tool:    sarifTool{Driver: sarifDriver{Name: "dagnfs", Version: version, InformationURI: "https://github.com/dagnfs/dagnfs"}},
		Results: []sarifResult{},
	}
	if r.PathBase != "" {
		base := (&url.URL{Scheme: "file", Path: filepath.ToSlash(r.PathBase) + "/"}).String()
		run.OriginalURIBaseIDs = map[string]sarifArtifactLoc{srcRoot: {URI: base}}
	}
	index := map[string]int{}
	for i, ri := range Rules {
		index[ri.ID] = i
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID: ri.ID, ShortDescription: sarifText{ri.Summary}, FullDescription: sarifText{ri.Summary}, Help: sarifText{ri.Help},
			DefaultConfiguration: sarifRuleConf{Level: sarifLevel(ri.Severity)},
		})
	}
	for _, f := range r.Findings {
		phys := sarifPhysical{ArtifactLocation: sarifArtifactLoc{URI: uriPath(f.File)}}
		if r.PathBase != "" {
			phys.ArtifactLocation.URIBaseID = srcRoot
		}
		if f.Line > 0 {
			phys.Region = &sarifRegion{StartLine: f.Line, StartColumn: f.Column}
		}
		idx, ok := index[f.Rule]
		if !ok {
			idx = -1 // SARIF's "no rule index"
		}
		run.Results = append(run.Results, sarifResult{RuleID: f.Rule, RuleIndex: idx, Kind: "fail", Level: sarifLevel(f.Severity),
			Message: sarifText{f.Message}, Locations: []sarifLocation{{PhysicalLocation: phys}}})
	}
	return sarifLog{
		Schema:  "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/main/sarif-2.1/schema/sarif-schema-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	}
}
