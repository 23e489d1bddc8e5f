"""Reads a TID 1500 Measurement Report back with highdicom and prints, as JSON, what the
Kira tests check: document type, template, and per measurement group the tracking
identifier and UID, the referenced segment and source series, every measurement (concept,
value, unit, modifiers, algorithm), the qualitative evaluations and text items.

usage: sr_check.py SR"""
import json, sys
import pydicom
import highdicom as hd

ds = pydicom.dcmread(sys.argv[1])
sr = hd.sr.srread(sys.argv[1])
code = lambda c: [c.value, c.scheme_designator, c.meaning]
groups = []
for g in sr.content.get_volumetric_roi_measurement_groups():
    seg = g.referenced_segment
    measurements = []
    for m in g.get_measurements():
        item = {"concept": code(m.name), "value": float(m.value), "unit": code(m.unit), "modifiers": [], "algorithm": []}
        for c in getattr(m[0], "ContentSequence", []):
            name = c.ConceptNameCodeSequence[0]
            if c.RelationshipType == "HAS CONCEPT MOD" and c.ValueType == "CODE":
                item["modifiers"].append([[name.CodeValue, name.CodingSchemeDesignator, name.CodeMeaning],
                                          [c.ConceptCodeSequence[0].CodeValue, c.ConceptCodeSequence[0].CodingSchemeDesignator,
                                           c.ConceptCodeSequence[0].CodeMeaning]])
            if c.ValueType == "TEXT" and name.CodeValue in ("111001", "111003"):
                item["algorithm"].append(c.TextValue)
        measurements.append(item)
    qualitative, texts, source_series = [], [], None
    for c in g[0].ContentSequence:
        if c.ValueType == "UIDREF" and c.ConceptNameCodeSequence[0].CodeValue == "121232":
            source_series = c.UID
        if c.ValueType == "CODE" and c.ConceptNameCodeSequence[0].CodeValue not in ("121071", "276214006"):
            qualitative.append([c.ConceptNameCodeSequence[0].CodeValue, c.ConceptCodeSequence[0].CodeValue])
        if c.ValueType == "TEXT" and c.ConceptNameCodeSequence[0].CodeValue != "112039":
            texts.append([c.ConceptNameCodeSequence[0].CodeValue, c.TextValue])
    groups.append({
        "tracking_id": g.tracking_identifier,
        "tracking_uid": g.tracking_uid,
        "segment_number": int(seg.referenced_segment_numbers[0]) if seg is not None else None,
        "seg_sop_instance": seg.referenced_sop_instance_uid if seg is not None else None,
        "source_series": source_series,
        "finding": code(g.finding_type) if g.finding_type is not None else None,
        "measurements": measurements,
        "qualitative": qualitative,
        "texts": texts,
    })
library = [c for c in sr.ContentSequence if c.ConceptNameCodeSequence[0].CodeValue == "111028"]
images = 0
for lib in library:
    for grp in lib.ContentSequence:
        images += sum(1 for c in grp.get("ContentSequence", []) if c.ValueType == "IMAGE")
print(json.dumps({
    "sop_class": ds.SOPClassUID,
    "template": ds.ContentTemplateSequence[0].TemplateIdentifier,
    "title": code(hd.sr.CodedConcept.from_dataset(ds.ConceptNameCodeSequence[0])),
    "patient_name": str(ds.get("PatientName", "")),
    "patient_id": str(ds.get("PatientID", "")),
    "study": ds.StudyInstanceUID,
    "evidence_instances": sum(len(s.ReferencedSOPSequence) for st in ds.CurrentRequestedProcedureEvidenceSequence for s in st.ReferencedSeriesSequence),
    "library_images": images,
    "groups": groups,
}))
