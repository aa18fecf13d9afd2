// Loads DICOM SRs through OHIF's SR reader (@cornerstonejs/adapters) and
// prints, per file, what it hydrated: one JSON line per file with the
// RectangleROI measurements (label, box corners in image pixels, the
// score of the NUM the reader took as the measurement) and the number of
// measurement groups. Usage: node hydrate.mjs SR...
import fs from 'node:fs';
import dcmjs from 'dcmjs';
import { metaData, utilities } from '@cornerstonejs/core';
import { adaptersSR } from '@cornerstonejs/adapters';

const { MeasurementReport } = adaptersSR.Cornerstone3D;

// An image plane with 1 mm pixels; the reader maps the SCOORDs to world
// coordinates with it, and core's worldToImageCoords maps them back to the
// image, where OHIF draws them.
function imagePlane(rows, columns) {
  return {
    frameOfReferenceUID: '1.2.3',
    rows,
    columns,
    rowCosines: [1, 0, 0],
    columnCosines: [0, 1, 0],
    rowPixelSpacing: 1,
    columnPixelSpacing: 1,
    imagePositionPatient: [0, 0, 0],
    imageOrientationPatient: [1, 0, 0, 0, 1, 0],
  };
}

const planes = {};
const metadata = {
  get: (type, imageId) => (type === 'imagePlaneModule' ? planes[imageId] : undefined),
};
metaData.addProvider((type, imageId) => metadata.get(type, imageId), 10000);

function toArray(x) {
  return x === undefined ? [] : Array.isArray(x) ? x : [x];
}

for (const path of process.argv.slice(2)) {
  const buffer = fs.readFileSync(path);
  const dicom = dcmjs.data.DicomMessage.readFile(
    buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));
  const dataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dicom.dict);
  const map = {};
  for (const study of toArray(dataset.CurrentRequestedProcedureEvidenceSequence)) {
    for (const series of toArray(study.ReferencedSeriesSequence)) {
      for (const ref of toArray(series.ReferencedSOPSequence)) {
        const imageId = `image:${ref.ReferencedSOPInstanceUID}`;
        map[`${ref.ReferencedSOPInstanceUID}:1`] = imageId;
        planes[imageId] = imagePlane(1, 1);
      }
    }
  }
  const state = MeasurementReport.generateToolState(dataset, map, metadata);
  const container = toArray(dataset.ContentSequence).find(
    (item) => item.ConceptNameCodeSequence?.CodeMeaning === 'Imaging Measurements');
  const groups = toArray(container?.ContentSequence);
  const rectangles = (state.RectangleROI || []).map((m) => {
    const group = groups.find((g) => toArray(g.ContentSequence).some(
      (item) => item.UID === m.TrackingUniqueIdentifier));
    // the NUM the reader takes as the group's measurement
    const setup = MeasurementReport.getSetupMeasurementData(
      group, map, metadata, 'RectangleROI');
    const num = toArray(setup.NUMGroup.MeasuredValueSequence)[0];
    return {
      label: m.annotation.data.label,
      description: m.description,
      points: m.annotation.data.handles.points.map(
        (p) => utilities.worldToImageCoords(m.annotation.metadata.referencedImageId, p)),
      measurement: setup.NUMGroup.ConceptNameCodeSequence?.CodeMeaning,
      score: num === undefined ? null : Number(num.NumericValue),
      sopInstanceUid: m.sopInstanceUid,
    };
  });
  const other = Object.fromEntries(Object.entries(state)
    .filter(([k]) => k !== 'RectangleROI').map(([k, v]) => [k, v.length]));
  console.log(JSON.stringify({ path, groups: groups.length, rectangles, other }));
}
