#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmfg/fgderimg.h"
#include "dcmtk/dcmfg/fgfracon.h"
#include "dcmtk/dcmfg/fgpixmsr.h"
#include "dcmtk/dcmfg/fgplanor.h"
#include "dcmtk/dcmfg/fgplanpo.h"
#include "dcmtk/dcmiod/iodmacro.h"
#include "dcmtk/dcmseg/segdoc.h"
#include "dcmtk/dcmseg/segment.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kira_dcmout.h"

namespace {

void put(char *buf, size_t len, const std::string &s) {
    if (!buf || len == 0) return;
    std::snprintf(buf, len, "%s", s.c_str());
}

struct SourceSlice {
    OFString sopClass, sopInstance, position[3];
};

std::string cond(const OFCondition &c) { return c.text(); }

/* Value i of a multi-valued string attribute, "" when absent. */
OFString value(DcmItem &item, const DcmTagKey &tag, unsigned long i = 0) {
    OFString v;
    item.findAndGetOFString(tag, v, i);
    return v;
}

} // namespace

extern "C" int kira_seg_write(const char *out_path, const char *const *source_files, int slices, int rows, int columns,
                              double slice_spacing, const kira_seg_segment *segments, int segment_count,
                              const uint8_t *masks, const char *software_version, const char *series_description,
                              char *sop_out, size_t sop_len, char *series_out, size_t series_len, char *msg,
                              size_t msg_len) {
    if (slices <= 0 || rows <= 0 || columns <= 0 || rows > 65535 || columns > 65535 || segment_count <= 0 ||
        segment_count > 65535) {
        put(msg, msg_len, "a segmentation needs 1 to 65535 segments and frames of 1 to 65535 rows and columns");
        return 1;
    }
    // What each frame copies from its source slice.
    std::vector<SourceSlice> src(static_cast<size_t>(slices));
    OFString studyUID, seriesUID, forUID, orientation[6], pixelSpacing, sliceThickness;
    for (int k = 0; k < slices; ++k) {
        DcmFileFormat ff;
        OFCondition c = ff.loadFile(source_files[k], EXS_Unknown, EGL_noChange, 4096);
        if (c.bad()) {
            put(msg, msg_len, std::string(source_files[k]) + ": " + cond(c));
            return 1;
        }
        DcmDataset &d = *ff.getDataset();
        src[k].sopClass = value(d, DCM_SOPClassUID);
        src[k].sopInstance = value(d, DCM_SOPInstanceUID);
        for (unsigned long i = 0; i < 3; ++i) src[k].position[i] = value(d, DCM_ImagePositionPatient, i);
        if (src[k].sopClass.empty() || src[k].sopInstance.empty() || src[k].position[2].empty()) {
            put(msg, msg_len, std::string(source_files[k]) + ": no SOP Class/Instance UID or Image Position (Patient)");
            return 1;
        }
        if (k == 0) {
            studyUID = value(d, DCM_StudyInstanceUID);
            seriesUID = value(d, DCM_SeriesInstanceUID);
            forUID = value(d, DCM_FrameOfReferenceUID);
            for (unsigned long i = 0; i < 6; ++i) orientation[i] = value(d, DCM_ImageOrientationPatient, i);
            OFString r = value(d, DCM_PixelSpacing, 0), cc = value(d, DCM_PixelSpacing, 1);
            pixelSpacing = r + "\\" + cc;
            sliceThickness = value(d, DCM_SliceThickness);
            if (studyUID.empty() || seriesUID.empty() || forUID.empty() || orientation[5].empty() || cc.empty()) {
                put(msg, msg_len, std::string(source_files[0]) +
                                      ": the source lacks a Study/Series/Frame of Reference UID, orientation or pixel spacing");
                return 1;
            }
        }
    }

    IODGeneralEquipmentModule::EquipmentInfo equipment("Kira", "Kira", "0", software_version);
    ContentIdentificationMacro ident("1", "KIRA_SEG", series_description, "");
    DcmSegmentation *rawSeg = NULL;
    OFCondition c = DcmSegmentation::createBinarySegmentation(rawSeg, static_cast<Uint16>(rows),
                                                              static_cast<Uint16>(columns), equipment, ident);
    if (c.bad() || !rawSeg) {
        put(msg, msg_len, "cannot create the segmentation: " + cond(c));
        return 1;
    }
    std::unique_ptr<DcmSegmentation> seg(rawSeg);

    // Patient and study level from a copy holding only the identifiers the object must
    // share with its source; names, IDs, dates and accession stay empty.
    DcmItem shared;
    shared.putAndInsertOFStringArray(DCM_StudyInstanceUID, studyUID);
    shared.putAndInsertOFStringArray(DCM_FrameOfReferenceUID, forUID);
    shared.putAndInsertOFStringArray(DCM_PatientName, "");
    shared.putAndInsertOFStringArray(DCM_PatientID, "");
    c = seg->importFromSourceImage(shared, OFFalse);
    if (c.bad()) {
        put(msg, msg_len, "cannot take over the source's study: " + cond(c));
        return 1;
    }
    char uid[100];
    seg->getSeries().setSeriesInstanceUID(dcmGenerateUniqueIdentifier(uid, SITE_SERIES_UID_ROOT));
    seg->getSeries().setSeriesNumber("9900");
    seg->getSeries().setSeriesDescription(series_description);

    IODMultiframeDimensionModule &dims = seg->getDimensions();
    OFString dimUID(dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT));
    c = dims.addDimensionIndex(DCM_ReferencedSegmentNumber, dimUID, DCM_SegmentIdentificationSequence,
                               "ReferencedSegmentNumber");
    if (c.good())
        c = dims.addDimensionIndex(DCM_ImagePositionPatient, dimUID, DCM_PlanePositionSequence, "ImagePositionPatient");
    if (c.bad()) {
        put(msg, msg_len, "cannot add the dimension index: " + cond(c));
        return 1;
    }

    FGPixelMeasures measures;
    measures.setPixelSpacing(pixelSpacing);
    char spacing[32];
    std::snprintf(spacing, sizeof spacing, "%.10g", slice_spacing);
    measures.setSpacingBetweenSlices(spacing);
    measures.setSliceThickness(sliceThickness.empty() ? OFString(spacing) : sliceThickness);
    std::unique_ptr<FGPlaneOrientationPatient> orient(FGPlaneOrientationPatient::createMinimal(
        orientation[0], orientation[1], orientation[2], orientation[3], orientation[4], orientation[5]));
    if (!orient || (c = seg->addForAllFrames(measures)).bad() || (c = seg->addForAllFrames(*orient)).bad()) {
        put(msg, msg_len, "cannot set the frames' geometry: " + cond(c));
        return 1;
    }

    for (int s = 0; s < segment_count; ++s) {
        const kira_seg_segment &g = segments[s];
        DcmSegment *segment = NULL;
        c = DcmSegment::create(segment, g.label, CodeSequenceMacro(g.category.value, g.category.scheme, g.category.meaning),
                               CodeSequenceMacro(g.type.value, g.type.scheme, g.type.meaning),
                               DcmSegTypes::SAT_AUTOMATIC, "Kira");
        // Viewers colour segments by these (DICOM-scaled CIELab: red, green, blue, yellow, repeating).
        static const Uint16 colours[4][3] = {{34891, 53479, 50167}, {57494, 10748, 54273}, {21168, 53250, 5177}, {63661, 27357, 57179}};
        if (c.good()) c = segment->setRecommendedDisplayCIELabValue(colours[s % 4][0], colours[s % 4][1], colours[s % 4][2]);
        Uint16 number = 0;
        if (c.good()) c = seg->addSegment(segment, number);
        if (c.bad() || number != s + 1) {
            delete segment;
            put(msg, msg_len, std::string("cannot add segment \"") + g.label + "\": " + cond(c));
            return 1;
        }
    }

    const size_t frameBytes = static_cast<size_t>(rows) * static_cast<size_t>(columns);
    for (int s = 0; s < segment_count; ++s) {
        for (int k = 0; k < slices; ++k) {
            FGPlanePosPatient *pos = FGPlanePosPatient::createMinimal(src[k].position[0], src[k].position[1], src[k].position[2]);
            FGFrameContent content;
            content.setDimensionIndexValues(static_cast<Uint32>(s + 1), 0);
            content.setDimensionIndexValues(static_cast<Uint32>(k + 1), 1);
            OFVector<ImageSOPInstanceReferenceMacro> sources(1);
            sources[0].setReferencedSOPClassUID(src[k].sopClass);
            sources[0].setReferencedSOPInstanceUID(src[k].sopInstance);
            FGDerivationImage *derivation = DcmSegmentation::createDerivationImageFG(sources, "");
            if (!pos || !derivation) {
                delete pos;
                delete derivation;
                put(msg, msg_len, "cannot describe frame " + std::to_string(k + 1));
                return 1;
            }
            OFVector<FGBase *> perFrame;
            perFrame.push_back(pos);
            perFrame.push_back(&content);
            perFrame.push_back(derivation);
            Uint8 *data = const_cast<Uint8 *>(masks + (static_cast<size_t>(s) * slices + k) * frameBytes);
            c = seg->addFrame(data, static_cast<Uint16>(s + 1), perFrame);
            delete pos;
            delete derivation;
            if (c.bad()) {
                put(msg, msg_len, "cannot add frame " + std::to_string(k + 1) + " of segment " + std::to_string(s + 1) + ": " + cond(c));
                return 1;
            }
        }
    }

    DcmFileFormat out;
    DcmDataset *ds = out.getDataset();
    c = seg->writeDataset(*ds);
    if (c.bad()) {
        put(msg, msg_len, "cannot build the segmentation: " + cond(c));
        return 1;
    }
    // The frames are the source slices' own pixels, so each source reference says its
    // spatial locations are preserved (readers such as highdicom index by source on that).
    DcmSequenceOfItems *perFrame = NULL;
    if (ds->findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, perFrame).good() && perFrame) {
        for (unsigned long f = 0; f < perFrame->card(); ++f) {
            DcmItem *derivation = NULL;
            if (perFrame->getItem(f)->findAndGetSequenceItem(DCM_DerivationImageSequence, derivation, 0).bad()) continue;
            DcmSequenceOfItems *sourceImages = NULL;
            if (derivation->findAndGetSequence(DCM_SourceImageSequence, sourceImages).bad() || !sourceImages) continue;
            for (unsigned long i = 0; i < sourceImages->card(); ++i)
                sourceImages->getItem(i)->putAndInsertOFStringArray(DCM_SpatialLocationsPreserved, "YES");
        }
    }
    // Common Instance Reference: the source series and each of its instances.
    ds->findAndDeleteElement(DCM_ReferencedSeriesSequence);
    DcmItem *series = NULL;
    ds->findOrCreateSequenceItem(DCM_ReferencedSeriesSequence, series, 0);
    if (series) {
        series->putAndInsertOFStringArray(DCM_SeriesInstanceUID, seriesUID);
        for (int k = 0; k < slices; ++k) {
            DcmItem *inst = NULL;
            series->findOrCreateSequenceItem(DCM_ReferencedInstanceSequence, inst, -2);
            if (!inst) continue;
            inst->putAndInsertOFStringArray(DCM_ReferencedSOPClassUID, src[k].sopClass);
            inst->putAndInsertOFStringArray(DCM_ReferencedSOPInstanceUID, src[k].sopInstance);
        }
    }
    OFString sop = value(*ds, DCM_SOPInstanceUID), newSeries = value(*ds, DCM_SeriesInstanceUID);
    c = out.saveFile(out_path, EXS_LittleEndianExplicit);
    if (c.bad()) {
        std::remove(out_path);
        put(msg, msg_len, std::string(out_path) + ": " + cond(c));
        return 1;
    }
    put(sop_out, sop_len, sop.c_str());
    put(series_out, series_len, newSeries.c_str());
    return 0;
}
