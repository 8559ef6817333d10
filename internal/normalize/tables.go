package normalize

import (
	stdjson "encoding/json"
	"fmt"
)

// queryResult reads the Log Analytics query API's response shape, how many people export
// Sentinel tables: {"tables":[{"name":…,"columns":[{"name":…,"type":…}],"rows":[[…],…]}]}.
// Each row becomes an object of column name to value, then a record.
func (rs *recordSink) queryResult(tables []byte) error {
	var ts []struct {
		Name    string `json:"name"`
		Columns []struct {
			Name string `json:"name"`
		} `json:"columns"`
		Rows []stdjson.RawMessage `json:"rows"`
	}
	if err := stdjson.Unmarshal(tables, &ts); err != nil {
		return rs.unparsed(tables, "Log Analytics query result: "+err.Error())
	}
	for _, t := range ts {
		for _, row := range t.Rows {
			var cells []stdjson.RawMessage
			if err := stdjson.Unmarshal(row, &cells); err != nil {
				if e := rs.unparsed(row, "Log Analytics query result row: "+err.Error()); e != nil {
					return e
				}
				continue
			}
			out := []byte{'{'}
			for i, cell := range cells {
				if i > 0 {
					out = append(out, ',')
				}
				name := fmt.Sprintf("_column_%d", i+1)
				if i < len(t.Columns) && t.Columns[i].Name != "" {
					name = t.Columns[i].Name
				}
				out = appendJSONString(out, name)
				out = append(out, ':')
				out = append(out, cell...)
			}
			out = append(out, '}')
			if err := rs.record(out); err != nil {
				return err
			}
		}
	}
	return nil
}
