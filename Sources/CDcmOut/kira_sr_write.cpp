#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmsr/dsrdoc.h"
#include "dcmtk/dcmsr/codes/dcm.h"
#include "dcmtk/dcmsr/cmr/init.h"
#include "dcmtk/dcmsr/cmr/tid1500.h"

#include <cstdio>
#include <string>
#include <vector>

#include "kira_dcmout.h"

namespace {

void put(char *buf, size_t len, const std::string &s) {
    if (!buf || len == 0) return;
    std::snprintf(buf, len, "%s", s.c_str());
}

DSRCodedEntryValue coded(const kira_code &c) { return DSRCodedEntryValue(c.value, c.scheme, c.meaning); }

OFString value(DcmItem &item, const DcmTagKey &tag) {
    OFString v;
    item.findAndGetOFString(tag, v);
    return v;
}

/* Fails with the step's name and dcmtk's reason. */
struct Step {
    char *msg;
    size_t len;
    bool ok(const OFCondition &c, const std::string &what) {
        if (c.good()) return true;
        put(msg, len, what + ": " + c.text());
        return false;
    }
};

} // namespace

extern "C" int kira_sr_write(const char *out_path, const char *seg_path, const char *const *source_files, int source_count,
                             const kira_sr_group *groups, int group_count, const char *algorithm_name,
                             const char *algorithm_version, char *sop_out, size_t sop_len, char *msg, size_t msg_len) {
    Step step{msg, msg_len};
    CMR_ContentMappingResource::initializeAllContextGroups();
    DcmFileFormat segFile;
    if (!step.ok(segFile.loadFile(seg_path), std::string(seg_path))) return 1;
    DcmDataset &seg = *segFile.getDataset();
    const OFString studyUID = value(seg, DCM_StudyInstanceUID);

    TID1500_MeasurementReport report(CMR_CID7021::ImagingMeasurementReport);
    char uid[100];
    if (!step.ok(report.getObservationContext().addDeviceObserver(dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT),
                                                                  algorithm_name, "Kira", algorithm_name),
                 "observer"))
        return 1;
    if (!step.ok(report.addProcedureReported(CMR_CID100(DSRCodedEntryValue("363679005", "SCT", "Imaging procedure"))),
                 "procedure reported"))
        return 1;

    // Image library: every source image, and the evidence list the document must carry.
    DSRDocument doc(DSRTypes::DT_Comprehensive3DSR);
    if (!step.ok(report.getImageLibrary().createNewImageLibrary(), "image library") ||
        !step.ok(report.getImageLibrary().addImageGroup(), "image library group"))
        return 1;
    OFString sourceSeriesUID;
    for (int i = 0; i < source_count; ++i) {
        DcmFileFormat ff;
        if (!step.ok(ff.loadFile(source_files[i], EXS_Unknown, EGL_noChange, 4096), std::string(source_files[i]))) return 1;
        DcmDataset &d = *ff.getDataset();
        if (i == 0) sourceSeriesUID = value(d, DCM_SeriesInstanceUID);
        if (!step.ok(report.getImageLibrary().addImageEntry(d, TID1600_ImageLibrary::withoutDescriptors),
                     std::string("image library entry ") + source_files[i]))
            return 1;
        doc.getCurrentRequestedProcedureEvidence().addItem(value(d, DCM_StudyInstanceUID), value(d, DCM_SeriesInstanceUID),
                                                           value(d, DCM_SOPClassUID), value(d, DCM_SOPInstanceUID));
    }
    doc.getCurrentRequestedProcedureEvidence().addItem(studyUID, value(seg, DCM_SeriesInstanceUID), value(seg, DCM_SOPClassUID),
                                                       value(seg, DCM_SOPInstanceUID));

    const DSRCodedEntryValue filterConcept("FILTER", "99KIRA", "Image filter");
    for (int g = 0; g < group_count; ++g) {
        const kira_sr_group &group = groups[g];
        const std::string where = std::string("group ") + group.tracking_id;
        if (!step.ok(report.addVolumetricROIMeasurements(), where)) return 1;
        TID1500_MeasurementReport::TID1411_Measurements &m = report.getVolumetricROIMeasurements();
        if (!step.ok(m.setTrackingIdentifier(group.tracking_id), where + ": tracking identifier") ||
            !step.ok(m.setTrackingUniqueIdentifier(group.tracking_uid), where + ": tracking UID") ||
            !step.ok(m.setReferencedSegment(seg, static_cast<Uint16>(group.segment_number), OFFalse), where + ": segment") ||
            !step.ok(m.setSourceSeriesForSegmentation(sourceSeriesUID), where + ": source series") ||
            !step.ok(m.setFinding(coded(group.finding)), where + ": finding"))
            return 1;
        for (int k = 0; k < group.measurement_count; ++k) {
            const kira_sr_measurement &x = group.measurements[k];
            const std::string what = where + ": " + x.concept.meaning;
            TID1500_MeasurementReport::TID1411_Measurements::MeasurementValue number(x.value, CMR_CID7181(coded(x.unit)));
            if (!step.ok(m.addMeasurement(CMR_CID7469(coded(x.concept)), number), what)) return 1;
            if (x.filter.value && !step.ok(m.getMeasurement().addModifier(filterConcept, coded(x.filter)), what + ": filter"))
                return 1;
            if (!step.ok(m.getMeasurement().setAlgorithmIdentification(algorithm_name, algorithm_version), what + ": algorithm"))
                return 1;
        }
        if (group.ki67_class.value &&
            !step.ok(m.addQualitativeEvaluation(DSRCodedEntryValue("KI67CLASS", "99KIRA", "Ki-67 class"), coded(group.ki67_class)),
                     where + ": Ki-67 class"))
            return 1;
        if (group.undefined_text && group.undefined_text[0] &&
            !step.ok(m.addQualitativeEvaluation(DSRCodedEntryValue("UNDEFINED", "99KIRA", "Undefined features"),
                                                OFString(group.undefined_text)),
                     where + ": undefined features"))
            return 1;
    }

    if (!step.ok(doc.setTreeFromRootTemplate(report, OFTrue), "report tree")) return 1;
    // The tree alone would fit Enhanced SR; Comprehensive 3D SR is the IOD TID 1500 reports are exchanged in.
    if (!step.ok(doc.changeDocumentType(DSRTypes::DT_Comprehensive3DSR), "document type")) return 1;
    DSRCodingSchemeIdentificationList &schemes = doc.getCodingSchemeIdentification();
    schemes.addItem("IBSI", "", "Image Biomarker Standardisation Initiative", "IBSI");
    schemes.addItem("99KIRA", "", "Kira private codes", "Kira");
    if (!step.ok(doc.createNewSeriesInStudy(studyUID), "series")) return 1;
    doc.setSeriesDescription("Kira measurement report");
    doc.setManufacturer("Kira");
    doc.setManufacturerModelName(algorithm_name);
    doc.setSoftwareVersions(algorithm_version);
    doc.setDeviceSerialNumber("0");
    doc.setPatientName("");
    doc.setPatientID("");

    DcmFileFormat out;
    if (!step.ok(doc.write(*out.getDataset()), "document")) return 1;
    OFString sop = value(*out.getDataset(), DCM_SOPInstanceUID);
    if (!step.ok(out.saveFile(out_path, EXS_LittleEndianExplicit), out_path)) {
        std::remove(out_path);
        return 1;
    }
    put(sop_out, sop_len, sop.c_str());
    return 0;
}
