#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/ofstd/ofdatime.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kira_dcmout.h"

namespace {

void put(char *buf, size_t len, const std::string &s) {
    if (!buf || len == 0) return;
    std::snprintf(buf, len, "%s", s.c_str());
}

OFString value(DcmItem &item, const DcmTagKey &tag) {
    OFString v;
    item.findAndGetOFString(tag, v);
    return v;
}

} // namespace

extern "C" int kira_pdf_write(const char *out_path, const uint8_t *pdf, size_t pdf_length, const char *const *source_files,
                              int source_count, const char *document_title, const char *series_description,
                              const char *software_version, char *sop_out, size_t sop_len, char *series_out,
                              size_t series_len, char *msg, size_t msg_len) {
    if (source_count < 1) {
        put(msg, msg_len, "an encapsulated PDF needs a source series to take its study from");
        return 1;
    }
    // OB lengths are 32-bit and even: the PDF plus at most one pad byte must fit.
    if (pdf_length < 5 || pdf_length > 0xFFFFFFF0u) {
        put(msg, msg_len, "the PDF is empty or larger than a DICOM element can hold");
        return 1;
    }
    std::vector<std::pair<OFString, OFString>> sources;
    OFString studyUID;
    for (int k = 0; k < source_count; ++k) {
        DcmFileFormat ff;
        OFCondition c = ff.loadFile(source_files[k], EXS_Unknown, EGL_noChange, 4096);
        if (c.bad()) {
            put(msg, msg_len, std::string(source_files[k]) + ": " + c.text());
            return 1;
        }
        DcmDataset &d = *ff.getDataset();
        OFString cls = value(d, DCM_SOPClassUID), inst = value(d, DCM_SOPInstanceUID);
        if (cls.empty() || inst.empty()) {
            put(msg, msg_len, std::string(source_files[k]) + ": no SOP Class or Instance UID");
            return 1;
        }
        if (k == 0) {
            studyUID = value(d, DCM_StudyInstanceUID);
            if (studyUID.empty()) {
                put(msg, msg_len, std::string(source_files[0]) + ": no Study Instance UID");
                return 1;
            }
        }
        sources.push_back(std::make_pair(cls, inst));
    }

    DcmFileFormat out;
    DcmDataset *ds = out.getDataset();
    char uid[100];
    const OFString sop(dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT));
    const OFString series(dcmGenerateUniqueIdentifier(uid, SITE_SERIES_UID_ROOT));
    OFString date, time;
    OFDateTime now = OFDateTime::getCurrentDateTime();
    now.getDate().getISOFormattedDate(date, OFFalse);
    now.getTime().getISOFormattedTime(time, OFTrue, OFFalse, OFFalse, OFFalse);

    OFCondition c = EC_Normal;
    struct Attr {
        DcmTagKey tag;
        OFString value;
    };
    const std::vector<Attr> attrs = {
        // SOP Common.
        {DCM_SOPClassUID, UID_EncapsulatedPDFStorage},
        {DCM_SOPInstanceUID, sop},
        {DCM_InstanceCreationDate, date},
        {DCM_InstanceCreationTime, time},
        // Patient: the type 2 attributes, empty (the case is known to the study by its id only).
        {DCM_PatientName, ""},
        {DCM_PatientID, ""},
        {DCM_PatientBirthDate, ""},
        {DCM_PatientSex, ""},
        // General Study: the source's study, nothing else of it.
        {DCM_StudyInstanceUID, studyUID},
        {DCM_StudyDate, ""},
        {DCM_StudyTime, ""},
        {DCM_ReferringPhysicianName, ""},
        {DCM_StudyID, ""},
        {DCM_AccessionNumber, ""},
        // Encapsulated Document Series.
        {DCM_Modality, "DOC"},
        {DCM_SeriesInstanceUID, series},
        {DCM_SeriesNumber, "9902"},
        {DCM_SeriesDescription, series_description},
        // General Equipment and SC Equipment (a document made on a workstation).
        {DCM_Manufacturer, "Kira"},
        {DCM_ManufacturerModelName, "Kira"},
        {DCM_SoftwareVersions, software_version},
        {DCM_ConversionType, "WSD"},
        // Encapsulated Document.
        {DCM_InstanceNumber, "1"},
        {DCM_ContentDate, date},
        {DCM_ContentTime, time},
        {DCM_AcquisitionDateTime, ""},
        // The report names the case by the study's case id, never by a patient attribute.
        {DCM_BurnedInAnnotation, "NO"},
        {DCM_DocumentTitle, document_title},
        {DCM_MIMETypeOfEncapsulatedDocument, "application/pdf"},
    };
    for (const Attr &a : attrs) {
        c = ds->putAndInsertOFStringArray(a.tag, a.value);
        if (c.bad()) {
            put(msg, msg_len, std::string("cannot set ") + DcmTag(a.tag).getTagName() + ": " + c.text());
            return 1;
        }
    }
    if ((c = ds->insertEmptyElement(DCM_ConceptNameCodeSequence)).bad() ||
        (c = ds->putAndInsertUint32(DCM_EncapsulatedDocumentLength, static_cast<Uint32>(pdf_length))).bad()) {
        put(msg, msg_len, std::string("cannot set the document's concept or length: ") + c.text());
        return 1;
    }
    for (size_t k = 0; k < sources.size(); ++k) {
        DcmItem *item = NULL;
        c = ds->findOrCreateSequenceItem(DCM_SourceInstanceSequence, item, -2);
        if (c.good() && item) c = item->putAndInsertOFStringArray(DCM_ReferencedSOPClassUID, sources[k].first);
        if (c.good() && item) c = item->putAndInsertOFStringArray(DCM_ReferencedSOPInstanceUID, sources[k].second);
        if (c.bad() || !item) {
            put(msg, msg_len, std::string("cannot reference ") + source_files[k] + ": " + c.text());
            return 1;
        }
    }
    // An odd PDF gets one zero byte so the value has the even length DICOM requires.
    const size_t padded = pdf_length + (pdf_length & 1);
    Uint8 *bytes = NULL;
    DcmOtherByteOtherWord *doc = new DcmOtherByteOtherWord(DcmTag(DCM_EncapsulatedDocument, EVR_OB));
    if ((c = doc->createUint8Array(static_cast<Uint32>(padded), bytes)).bad() || !bytes) {
        delete doc;
        put(msg, msg_len, std::string("cannot hold the PDF: ") + c.text());
        return 1;
    }
    std::memcpy(bytes, pdf, pdf_length);
    if (padded != pdf_length) bytes[pdf_length] = 0;
    if ((c = ds->insert(doc, OFTrue)).bad()) {
        delete doc;
        put(msg, msg_len, std::string("cannot insert the PDF: ") + c.text());
        return 1;
    }
    c = out.saveFile(out_path, EXS_LittleEndianExplicit);
    if (c.bad()) {
        std::remove(out_path);
        put(msg, msg_len, std::string(out_path) + ": " + c.text());
        return 1;
    }
    put(sop_out, sop_len, sop.c_str());
    put(series_out, series_len, series.c_str());
    return 0;
}
