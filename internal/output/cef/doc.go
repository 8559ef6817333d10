// Package cef sends alerts as ArcSight Common Event Format lines over syslog (UDP, TCP or
// TLS; RFC 5424 or RFC 3164 headers; octet-counting or newline framing), mapped so that
// Microsoft Sentinel's CEF connector files them into CommonSecurityLog columns.
//
// docs/cef.md lists the mapping, field by field. Escaping follows the CEF specification:
// in the header, backslash and pipe are escaped; in extension values, backslash, equals
// sign and line breaks (\n, \r). Header fields cannot carry line breaks, so they become
// spaces there.
package cef
