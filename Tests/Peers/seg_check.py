"""Reads a DICOM SEG back with highdicom and prints, as JSON, what the Kira tests check:
segments (number, label, codes, algorithm), frame count, each frame's geometry against its
source slice, and each segment's voxels on the source grid written as raw uint8 (slice,
row, column order; the source slices sorted along the slice normal, as Kira's grid is).

usage: seg_check.py SEG SOURCE_DIR OUT_PREFIX"""
import json, sys, os
import numpy as np
import pydicom
import highdicom as hd

seg_path, source_dir, out_prefix = sys.argv[1:4]
seg = hd.seg.segread(seg_path)
sources = []
for root, _, files in os.walk(source_dir):
    for f in files:
        d = pydicom.dcmread(os.path.join(root, f), stop_before_pixels=True)
        if "ImagePositionPatient" in d:
            sources.append(d)
iop = np.array(sources[0].ImageOrientationPatient, float)
normal = np.cross(iop[:3], iop[3:])
sources.sort(key=lambda d: float(np.dot(np.array(d.ImagePositionPatient, float), normal)))
uids = [d.SOPInstanceUID for d in sources]
by_uid = {d.SOPInstanceUID: d for d in sources}

segments = []
for n in seg.segment_numbers:
    desc = seg.get_segment_description(n)
    segments.append({
        "number": int(n),
        "label": desc.segment_label,
        "category": [desc.segmented_property_category.value, desc.segmented_property_category.scheme_designator, desc.segmented_property_category.meaning],
        "type": [desc.segmented_property_type.value, desc.segmented_property_type.scheme_designator, desc.segmented_property_type.meaning],
        "algorithm_type": desc.algorithm_type.value,
        "algorithm_name": desc.algorithm_identification.algorithm_name if desc.algorithm_identification is not None else str(desc.get("SegmentAlgorithmName", "")),
    })
    pixels = seg.get_pixels_by_source_instance(source_sop_instance_uids=uids, segment_numbers=[n],
                                               combine_segments=False, assert_missing_frames_are_empty=True)
    np.ascontiguousarray(pixels[..., 0].astype(np.uint8)).tofile(f"{out_prefix}{n}.raw")

# Per-frame geometry against the source slice each frame derives from.
max_position = 0.0
shared = seg.SharedFunctionalGroupsSequence[0]
orientation = np.array(shared.PlaneOrientationSequence[0].ImageOrientationPatient, float)
spacing = [float(x) for x in shared.PixelMeasuresSequence[0].PixelSpacing]
for frame in seg.PerFrameFunctionalGroupsSequence:
    src_uid = frame.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
    pos = np.array(frame.PlanePositionSequence[0].ImagePositionPatient, float)
    max_position = max(max_position, float(np.abs(pos - np.array(by_uid[src_uid].ImagePositionPatient, float)).max()))
referenced_series = [s.SeriesInstanceUID for s in seg.ReferencedSeriesSequence]
print(json.dumps({
    "segments": segments,
    "frames": int(seg.NumberOfFrames),
    "slices": len(sources),
    "max_position_difference": max_position,
    "orientation_difference": float(np.abs(orientation - iop).max()),
    "spacing_difference": float(np.abs(np.array(spacing) - np.array(sources[0].PixelSpacing, float)).max()),
    "references_source_series": referenced_series == [sources[0].SeriesInstanceUID],
    "referenced_instances": len(seg.ReferencedSeriesSequence[0].ReferencedInstanceSequence),
    "patient_name": str(seg.get("PatientName", "")),
    "patient_id": str(seg.get("PatientID", "")),
    "study_matches": seg.StudyInstanceUID == sources[0].StudyInstanceUID,
    "frame_of_reference_matches": seg.FrameOfReferenceUID == sources[0].FrameOfReferenceUID,
}))
