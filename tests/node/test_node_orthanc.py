"""The node (``tools/serve.py``) next to a real Orthanc, both on loopback.

One Orthanc (Debian's package, auto-routing spine radiographs to the node)
and one node (the phantom Faster R-CNN) for the module:

* flow (a): dcmtk's ``storescu`` pushes radiographs to the node in several
  transfer syntaxes; the SRs arrive in Orthanc, ``dsrdump`` reads them, and
  the node's findings are those of ``SpineInferencer`` on the same files;
* flow (b): radiographs stored into Orthanc are routed to the node by
  Orthanc's Lua script; the SRs come back into the same study;
* refusals: malformed, colour, over-size, path-like UID, unlisted AE;
* faults: 200 images over 4 associations with ``kill -9`` of the node
  mid-stream and a restart; Orthanc stopped for 30 s mid-stream.
"""
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pydicom
import pytest
from _node import (REPO_ROOT, NodeProcess, make_radiograph, orthanc_executable,
                   push, wait_for)
from _tools import require_tool
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (ExplicitVRLittleEndian, ImplicitVRLittleEndian,
                         JPEG2000Lossless, RLELossless, generate_uid)

from mmspine.node import sr_uids
from mmspine.node.orthanc import OrthancProcess, free_port

# its own group: mostly waiting (Orthanc, a 30 s outage), it overlaps the
# other groups' CPU work; phantom_infer_models is trained again on its worker
pytestmark = pytest.mark.xdist_group('node')

#: storescu's option that proposes a file's transfer syntax.
STORESCU_SYNTAX = {
    ExplicitVRLittleEndian: [],
    ImplicitVRLittleEndian: [],
    RLELossless: ['-xr'],
    JPEG2000Lossless: ['-xv'],
}
#: Fewer proposals and findings: an SR of 100 findings takes 0.8 s to
#: write, and the load test writes 200.
NODE_CFG_OPTIONS = {
    'model.test_cfg.rpn.max_per_img': 50,
    'model.test_cfg.rcnn.max_per_img': 2
}
#: The outage of the issue: Orthanc stopped for 30 s mid-stream.
OUTAGE_S = 30


@pytest.fixture(scope='module')
def orthanc(tmp_path_factory):
    server = OrthancProcess(
        str(tmp_path_factory.mktemp('orthanc')),
        free_port(),
        route=True,
        executable=orthanc_executable())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope='module')
def node(orthanc, phantom_infer_models, tmp_path_factory):
    work = tmp_path_factory.mktemp('node')
    config, checkpoint = phantom_infer_models['det'][0]
    proc = NodeProcess(
        str(work / 'spool'), [
            '--det', config, checkpoint, '--dest', orthanc.dest, '--allow-ae',
            'ORTHANC', 'STORESCU', 'TESTPACS', '--threads', '1',
            '--max-instance-mb', '0.5', '--retry-base', '0.5', '--retry-max',
            '4', '--cfg-options',
            *[f'{k}={v}' for k, v in NODE_CFG_OPTIONS.items()]
        ], str(work / 'node.log'), orthanc.node_port)
    proc.start()
    yield proc
    proc.stop()


def sr_of(orthanc, sr_uid):
    """Orthanc's id of the instance ``sr_uid``, or None."""
    found = orthanc.post('/tools/lookup', sr_uid.encode())
    return found[0]['ID'] if found else None


def srs_of_patient(orthanc, patient_id):
    return orthanc.find_instances(dict(Modality='SR', PatientID=patient_id))


def expected_sr(node, source):
    return sr_uids(source['sop'], source['study'], node.status()['model_key'])


def echo(node, aet='STORESCU'):
    cmd = [
        require_tool('echoscu'), '-aet', aet, '-aec', 'MMSPINE', '127.0.0.1',
        str(node.port)
    ]
    return subprocess.run(cmd, capture_output=True).returncode


def test_flow_a_storescu_to_node_srs_in_orthanc(node, orthanc,
                                                phantom_infer_models,
                                                tmp_path):
    from mmspine.apis import SpineInferencer
    storescu = require_tool('storescu')
    dsrdump = require_tool('dsrdump')
    assert echo(node) == 0
    folder = phantom_infer_models['dicom_dir']
    sources, by_syntax = [], {}
    for name in sorted(os.listdir(folder)):
        path = osp.join(folder, name)
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        syntax = ds.file_meta.TransferSyntaxUID
        sources.append(
            dict(
                path=path,
                sop=str(ds.SOPInstanceUID),
                study=str(ds.StudyInstanceUID)))
        by_syntax.setdefault(syntax, []).append(path)
    assert len(by_syntax) >= 3, by_syntax  # compressed ones included
    for syntax, paths in by_syntax.items():
        # -R: only the files' own transfer syntaxes are proposed
        cmd = [
            storescu, '-R', *STORESCU_SYNTAX[syntax], '-aet', 'STORESCU',
            '-aec', 'MMSPINE', '127.0.0.1',
            str(node.port), *paths
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    expected = {s['sop']: expected_sr(node, s) for s in sources}
    wait_for(lambda: all(sr_of(orthanc, uid) for _, uid in expected.values()),
             90, 'the SRs in Orthanc')

    # the node's settings: tools/infer.py's defaults, precision 'auto'
    inferencer = SpineInferencer(
        detectors=[phantom_infer_models['det'][0]],
        cfg_options=NODE_CFG_OPTIONS,
        speed=dict(threads=1),
        precision='auto')
    offline = {
        r['sop_instance_uid']: r
        for r in inferencer([s['path'] for s in sources])
    }
    results = {}
    results_dir = osp.join(node.spool, 'results')
    for name in os.listdir(results_dir):
        with open(osp.join(results_dir, name)) as f:
            saved = json.load(f)
        results[saved['result']['sop_instance_uid']] = saved
    for source in sources:
        series_uid, sr_uid = expected[source['sop']]
        sr_id = sr_of(orthanc, sr_uid)
        tags = orthanc.get(f'/instances/{sr_id}/simplified-tags')
        # the SR joins the source's study, in the model's series
        assert tags['StudyInstanceUID'] == source['study']
        assert tags['SeriesInstanceUID'] == series_uid
        path = str(tmp_path / f'{sr_id}.dcm')
        with open(path, 'wb') as f:
            f.write(orthanc.get_bytes(f'/instances/{sr_id}/file'))
        proc = subprocess.run([dsrdump, '+Pu', '-v', path],
                              capture_output=True,
                              text=True)
        assert proc.returncode == 0, proc.stderr
        assert source['sop'] in proc.stdout
        # tools/infer.py's results: the same findings as SpineInferencer
        node_result = results[source['sop']]['result']
        assert node_result['status'] == 'ok'
        assert results[source['sop']]['sr_sop_instance_uid'] == sr_uid
        ref = offline[source['sop']]
        assert len(node_result['findings']) == len(ref['findings'])
        for got, want in zip(node_result['findings'], ref['findings']):
            assert got['lesion_type'] == want['lesion_type']
            np.testing.assert_allclose(got['bbox'], want['bbox'], atol=1e-3)
            assert abs(got['score'] - want['score']) < 1e-5
    log = node.log()
    for word in ('received', 'queued', 'done', 'sent'):
        assert f' {word} ' in log, word


def test_flow_b_orthanc_routes_to_node_srs_in_same_study(
        node, orthanc, tmp_path):
    study = generate_uid()
    spine = [
        make_radiograph(
            str(tmp_path / 'l.dcm'),
            1,
            StudyInstanceUID=study,
            PatientID='ROUTED',
            InstanceNumber=1),
        make_radiograph(
            str(tmp_path / 'c.dcm'),
            2,
            StudyInstanceUID=study,
            PatientID='ROUTED',
            Modality='CR',
            BodyPartExamined='C SPINE',
            InstanceNumber=2)
    ]
    chest = make_radiograph(
        str(tmp_path / 'chest.dcm'),
        3,
        StudyInstanceUID=study,
        PatientID='ROUTED',
        BodyPartExamined='CHEST')
    for source in spine + [chest]:
        assert orthanc.upload(source['path'])['Status'] == 'Success'
    expected = [expected_sr(node, s) for s in spine]
    wait_for(lambda: all(sr_of(orthanc, uid) for _, uid in expected), 60,
             'the routed images\' SRs')
    srs = srs_of_patient(orthanc, 'ROUTED')
    # one SR per spine image, in one series of the same study
    assert sorted(s['MainDicomTags']['SOPInstanceUID']
                  for s in srs) == sorted(uid for _, uid in expected)
    series = {expected[0][0], expected[1][0]}
    assert len(series) == 1
    for sr in srs:
        tags = orthanc.get(f'/instances/{sr["ID"]}/simplified-tags')
        assert tags['StudyInstanceUID'] == study
        assert tags['SeriesInstanceUID'] in series
    # the chest image was not routed; the SRs were not routed back
    assert f"'{chest['sop']}'" not in node.log()
    # an SR pushed to the node anyway is skipped: no loop
    skipped = node.status()['counts']['skipped']
    job = orthanc.post('/modalities/mmspine/store', srs[0]['ID'].encode())
    assert job.get('FailedInstancesCount', 0) == 0, job
    wait_for(lambda: node.status()['counts']['skipped'] > skipped, 10,
             'the SR to be skipped')
    assert 'own SR (not processed, so no loop)' in node.log()
    assert len(srs_of_patient(orthanc, 'ROUTED')) == 2


def _send(ds, port, aet='TESTPACS'):
    """C-STORE ``ds`` as ``aet``; (association accepted, status dataset)."""
    from pynetdicom import AE
    ae = AE(ae_title=aet)
    ae.add_requested_context(ds.SOPClassUID, ds.file_meta.TransferSyntaxUID)
    assoc = ae.associate('127.0.0.1', port, ae_title='MMSPINE')
    if not assoc.is_established:
        return False, None
    try:
        return True, assoc.send_c_store(ds)
    finally:
        assoc.release()


def _colour_secondary_capture() -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = '1.2.840.10008.5.1.4.1.1.7'
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = 'DX'
    ds.BodyPartExamined = 'SPINE'
    ds.Rows, ds.Columns = 16, 16
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = 'RGB'
    ds.PlanarConfiguration = 0
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = bytes(16 * 16 * 3)
    return ds


def test_refused_and_skipped_with_reasons_node_keeps_running(node, tmp_path):
    before = node.status()['counts']
    inbox = len(os.listdir(osp.join(node.spool, 'inbox')))
    good = make_radiograph(str(tmp_path / 'good.dcm'), 4)

    cases = {}
    truncated = pydicom.dcmread(good['path'])
    truncated.SOPInstanceUID = generate_uid()
    truncated.PixelData = truncated.PixelData[:len(truncated.PixelData) // 3]
    cases['malformed'] = (truncated, 0xC000, 'pixel data of')
    cases['colour'] = (_colour_secondary_capture(), 0xA900, 'colour image')
    big = pydicom.dcmread(
        make_radiograph(str(tmp_path / 'big.dcm'), 5, rows=640,
                        columns=480)['path'])
    cases['over-size'] = (big, 0xA700, 'over the limit')
    path_like = pydicom.dcmread(good['path'])
    path_like.SOPInstanceUID = '../../x'
    cases['path-like UID'] = (path_like, 0xC000, 'invalid SOPInstanceUID')
    for name, (ds, code, reason) in cases.items():
        accepted, status = _send(ds, node.port)
        assert accepted, name
        assert status.Status == code, (name, status)
        assert reason in status.ErrorComment, (name, status.ErrorComment)
        assert reason in node.log(), name
        assert echo(node) == 0, f'node down after the {name} instance'

    # a codestream that does not decode passes the checks of the header:
    # the worker records why, the node goes on
    corrupt = pydicom.dcmread(
        make_radiograph(
            str(tmp_path / 'rle.dcm'), 7, transfer_syntax=RLELossless)['path'])
    corrupt.PixelData = encapsulate([b'\x00' * 64 + b'\xff' * 200])
    failed = before['failed']
    accepted, status = _send(corrupt, node.port)
    assert accepted and status.Status == 0
    wait_for(lambda: node.status()['counts']['failed'] > failed, 30,
             'the undecodable image to fail')
    reasons = [
        json.load(open(osp.join(node.spool, 'failed', n)))['reason']
        for n in os.listdir(osp.join(node.spool, 'failed'))
        if n.endswith('.json')
    ]
    assert any('cannot decode pixel data (RLE Lossless)' in r
               for r in reasons), reasons
    assert 'failed ' in node.log()

    accepted, _ = _send(pydicom.dcmread(good['path']), node.port, 'INTRUDER')
    assert not accepted
    assert "refused association from 'INTRUDER'" in node.log()
    chest = make_radiograph(
        str(tmp_path / 'chest.dcm'), 6, BodyPartExamined='CHEST')
    accepted, status = _send(pydicom.dcmread(chest['path']), node.port)
    assert accepted and status.Status == 0
    assert echo(node) == 0

    wait_for(lambda: node.status()['counts']['skipped'] > before['skipped'],
             10, 'the status')
    after = node.status()['counts']
    assert after['refused'] - before['refused'] == 4
    rejected = 'rejected_associations'
    assert after[rejected] - before[rejected] == 1
    assert after['received'] == before['received'] + 1  # the corrupt one
    assert 'body part CHEST not in' in node.log()
    assert len(os.listdir(osp.join(node.spool, 'inbox'))) == inbox
    # nothing was written from a header value
    escaped = [
        osp.join(root, n)
        for root, _, names in os.walk(osp.dirname(osp.dirname(node.spool)))
        for n in names if n == 'x'
    ]
    assert not escaped


def worker_pids(pid):
    """The inference processes of the node ``pid``."""
    cmd = ['ps', '-ww', '-o', 'pid=,args=', '--ppid', str(pid)]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    return [
        int(line.split()[0]) for line in out.splitlines()
        if 'spawn_main' in line
    ]


def _make_stream(folder, num, patient, per_study=4):
    os.makedirs(folder, exist_ok=True)
    sources, study = [], None
    for i in range(num):
        if i % per_study == 0:
            study = generate_uid()
        sources.append(
            make_radiograph(
                osp.join(folder, f'{i:03d}.dcm'),
                100 + i,
                StudyInstanceUID=study,
                PatientID=patient,
                InstanceNumber=i % per_study + 1))
    return sources


def _check_exactly_once(node, orthanc, sources, patient, failed_before):
    # Orthanc holds an SR a moment before the node records it as sent
    wait_for(
        lambda: not any(
            os.listdir(osp.join(node.spool, f)) for f in ('inbox', 'outbox')),
        30, 'the spool to empty')
    expected = {expected_sr(node, s)[1] for s in sources}
    srs = srs_of_patient(orthanc, patient)
    got = [s['MainDicomTags']['SOPInstanceUID'] for s in srs]
    assert len(got) == len(set(got)) == len(sources)
    assert set(got) == expected
    for folder in ('inbox', 'outbox', 'dead'):
        left = os.listdir(osp.join(node.spool, folder))
        assert not left, (folder, left)
    # (the refusal test's undecodable image is there already)
    assert _failed(node) == failed_before


def _failed(node):
    return sorted(os.listdir(osp.join(node.spool, 'failed')))


def test_200_images_4_associations_kill9_mid_stream(node, orthanc, tmp_path):
    sources = _make_stream(str(tmp_path / 'load'), 200, 'LOAD')
    failed = _failed(node)
    files = [s['path'] for s in sources]
    pushed = {}
    pusher = threading.Thread(target=lambda: pushed.update(
        push(files, node.port, associations=4, timeout=300)))
    sent_dir = osp.join(node.spool, 'sent')
    sent_before = len(os.listdir(sent_dir))
    start = time.monotonic()
    pusher.start()
    # kill -9 while images arrive, some wait for inference and some SRs
    # are on their way
    wait_for(lambda: len(os.listdir(sent_dir)) >= sent_before + 10, 120,
             'the first SRs')
    node.kill9()
    killed = dict(
        inbox=len(os.listdir(osp.join(node.spool, 'inbox'))),
        sent=len(os.listdir(sent_dir)) - sent_before)
    node.start()
    # and kill -9 of an inference worker: the node starts new ones
    after_restart = len(os.listdir(sent_dir))
    wait_for(lambda: len(os.listdir(sent_dir)) >= after_restart + 5, 120,
             'SRs after the restart')
    workers = worker_pids(node.proc.pid)
    assert workers
    os.kill(workers[0], signal.SIGKILL)
    pusher.join()
    assert len(pushed) == 200 and set(pushed.values()) == {0}, pushed
    wait_for(lambda: len(srs_of_patient(orthanc, 'LOAD')) >= 200, 300,
             'all 200 SRs')
    _check_exactly_once(node, orthanc, sources, 'LOAD', failed)
    assert killed['inbox'] > 0, killed  # the kill left work to resume
    assert 'instances to infer' in node.log()
    assert 'a worker process died' in node.log()
    # counts and latencies, from the spool
    tool = osp.join(REPO_ROOT, 'tools', 'serve.py')
    proc = subprocess.run([sys.executable, tool, '--status', node.spool],
                          capture_output=True,
                          text=True,
                          env=dict(os.environ, PYTHONPATH=REPO_ROOT))
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)
    assert status['inbox'] == status['outbox'] == status['dead'] == 0
    assert status['sent'] >= 200 and status['node_alive']
    assert status['latency_seconds']['n'] == status['sent']
    assert 0 < status['latency_seconds']['p50'] <= status['latency_seconds'][
        'p95']
    assert status['node']['counts']['done'] > 0
    print(f'200 images with kill -9: {time.monotonic() - start:.1f} s, '
          f'at the kill {killed}')


@pytest.mark.slow
def test_orthanc_stopped_30s_mid_stream(node, orthanc, tmp_path):
    sources = _make_stream(str(tmp_path / 'outage'), 24, 'OUTAGE')
    failed = _failed(node)
    first, second = sources[:8], sources[8:]
    pushed = push([s['path'] for s in first], node.port, associations=2)
    wait_for(lambda: len(srs_of_patient(orthanc, 'OUTAGE')) >= len(first), 60,
             'the first SRs')
    orthanc.stop()
    start = time.monotonic()
    # the stream goes on: the node takes and infers images meanwhile
    pushed.update(push([s['path'] for s in second], node.port, associations=2))
    assert len(pushed) == 24 and set(pushed.values()) == {0}, pushed
    wait_for(
        lambda: node.status().get('destination_state', {}).get('reachable') is
        False, OUTAGE_S, 'the node to find Orthanc gone')
    time.sleep(max(0., OUTAGE_S - (time.monotonic() - start)))
    assert len(os.listdir(osp.join(node.spool, 'outbox'))) > 0
    orthanc.start()
    wait_for(lambda: len(srs_of_patient(orthanc, 'OUTAGE')) >= 24, 120,
             'the SRs after the outage')
    _check_exactly_once(node, orthanc, sources, 'OUTAGE', failed)
    assert node.status()['counts']['dead'] == 0
    assert 'reachable again' in node.log()
