"""The node's parts without models or Orthanc: spool, routing, refusals,
derived UIDs, the Lua script, and the sender against a real pynetdicom
Storage SCP (retries, dead letters, an unreachable destination)."""
import os.path as osp

import numpy as np
import pydicom
import pytest
from _node import make_radiograph, wait_for
from pydicom.uid import generate_uid

from mmspine.apis.findings import make_result
from mmspine.apis.inputs import dicom_header
from mmspine.dicom.sr import write_findings_sr
from mmspine.metainfo import SPINEXR_CLASSES
from mmspine.node import (Destination, Router, Sender, Spool, SpoolLockedError,
                          backoff, check_instance, decodable_transfer_syntaxes,
                          model_key, percentiles, sr_uids)
from mmspine.node.orthanc import free_port, routing_lua
from mmspine.node.routing import (CR_STORAGE, DX_PRESENTATION_STORAGE,
                                  SC_STORAGE, SR_SOP_CLASSES)
from mmspine.node.spool import new_id


def test_spool_writes_whole_files_under_its_own_names(tmp_path):
    spool = Spool(str(tmp_path / 'spool'))
    first = spool.write_received(b'a' * 10)
    second = spool.write_received(b'b' * 10)
    assert spool.ids('inbox') == sorted([first, second])
    assert first < second  # ids sort by arrival
    # a half-written file of a killed node is not an instance
    stale = spool.path('inbox', 'x') + '.tmp-123'
    with open(stale, 'wb') as f:
        f.write(b'half')
    assert spool.ids('inbox') == [first, second]
    assert spool.remove_stale_temps() == 1 and not osp.exists(stale)
    spool.lock()
    with pytest.raises(SpoolLockedError, match='another node'):
        Spool(spool.root).lock()


def test_router_by_modality_body_part_and_sop_class():
    router = Router()
    ds = pydicom.Dataset()
    ds.Modality, ds.BodyPartExamined = 'DX', 'L SPINE'
    assert router.skip_reason(ds, DX_PRESENTATION_STORAGE) is None
    ds.BodyPartExamined = 'cspine'
    assert router.skip_reason(ds, CR_STORAGE) is None
    ds.BodyPartExamined = 'CHEST'
    assert 'body part CHEST' in router.skip_reason(ds, CR_STORAGE)
    del ds.BodyPartExamined
    assert 'body part (none)' in router.skip_reason(ds, CR_STORAGE)
    assert Router(body_parts=()).skip_reason(ds, CR_STORAGE) is None
    ds.Modality = 'OT'
    assert 'modality OT' in router.skip_reason(ds, SC_STORAGE)
    assert Router(['OT'], ()).skip_reason(ds, SC_STORAGE) is None
    ds.Manufacturer = 'mmspine'
    assert 'own SR' in router.skip_reason(ds, SR_SOP_CLASSES[2])
    ds.Manufacturer = 'other'
    assert router.skip_reason(ds, SR_SOP_CLASSES[0]) == 'SR (not an image)'


def test_check_instance_reasons(tmp_path):
    path = make_radiograph(str(tmp_path / 'a.dcm'), 0)['path']
    ds = pydicom.dcmread(path)
    assert check_instance(ds, ds.SOPClassUID) is None
    bad = pydicom.dcmread(path)
    bad.SOPInstanceUID = '../../etc/x'
    refusal = check_instance(bad, bad.SOPClassUID)
    assert refusal.status == 0xC000
    assert "invalid SOPInstanceUID '../../etc/x'" == refusal.reason
    short = pydicom.dcmread(path)
    short.PixelData = short.PixelData[:100]
    assert 'pixel data of 100 bytes' in check_instance(
        short, short.SOPClassUID).reason
    colour = pydicom.dcmread(path)
    colour.PhotometricInterpretation, colour.SamplesPerPixel = 'RGB', 3
    assert check_instance(
        colour, colour.SOPClassUID).reason.startswith('colour image (RGB')
    frames = pydicom.dcmread(path)
    frames.NumberOfFrames = 2
    assert 'multi-frame' in check_instance(frames, frames.SOPClassUID).reason
    assert 'differs' in check_instance(ds, CR_STORAGE).reason


def test_accepted_transfer_syntaxes_are_those_the_converters_decode():
    names = {uid.name for uid in decodable_transfer_syntaxes()}
    for name in ('Explicit VR Little Endian', 'Implicit VR Little Endian',
                 'RLE Lossless', 'JPEG 2000 Image Compression (Lossless Only)',
                 'JPEG Baseline (Process 1)'):
        assert name in names


def test_sr_uids_follow_source_and_model_contents(tmp_path):
    ckpt_a, ckpt_b = tmp_path / 'a.pth', tmp_path / 'b.pth'
    ckpt_a.write_bytes(b'weights')
    ckpt_b.write_bytes(b'weights')
    key_a = model_key(dict(detectors=[('cfg', str(ckpt_a))], device='cpu'))
    # the content counts, not the path, and not the device
    assert key_a == model_key(
        dict(detectors=[('cfg', str(ckpt_b))], device='cuda'))
    ckpt_b.write_bytes(b'other weights')
    key_b = model_key(dict(detectors=[('cfg', str(ckpt_b))]))
    assert key_b != key_a
    assert key_a != model_key(
        dict(detectors=[('cfg', str(ckpt_a))], score_thr=0.3))
    series, sop = sr_uids('1.2.3', '1.2', key_a)
    assert (series, sop) == sr_uids('1.2.3', '1.2', key_a)
    assert sr_uids('1.2.3', '1.2', key_b)[1] != sop
    assert sr_uids('1.2.4', '1.2',
                   key_a) == (series, sr_uids('1.2.4', '1.2', key_a)[1])
    assert sr_uids('1.2.4', '1.2', key_a)[1] != sop
    assert pydicom.uid.UID(sop).is_valid


def test_backoff_destination_percentiles_and_lua():
    assert [backoff(n, 0.5, 3) for n in (1, 2, 3, 4, 5)] == [0.5, 1, 2, 3, 3]
    assert Destination.parse('ORTHANC@127.0.0.1:4242') == ('ORTHANC',
                                                           '127.0.0.1', 4242)
    with pytest.raises(ValueError, match='AET@HOST:PORT'):
        Destination.parse('ORTHANC:4242')
    assert percentiles([3, 1, 2, 4]) == dict(p50=2, p95=4, n=4)
    lua = routing_lua(['DX'], ['L SPINE', 'SPINE'])
    assert '["DX"] = true' in lua and '["LSPINE"] = true' in lua
    assert "SendToModality(instanceId, 'mmspine')" in lua


def _write_sr(spool: Spool, tmp_path, spool_id: str) -> str:
    path = make_radiograph(str(tmp_path / f'{spool_id}.dcm'), 1)['path']
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    result = make_result(
        path,
        spool_id,
        dicom_header(ds),
        np.array([[2., 3., 20., 30.]]),
        np.array([0.8]),
        np.array([0]),
        SPINEXR_CLASSES,
        model=dict(detectors=['tiny'], classifiers=[]))
    write_findings_sr(
        ds,
        result,
        spool.path('outbox', spool_id),
        sop_instance_uid=generate_uid())
    return spool.path('outbox', spool_id)


class _StoreSCP:
    """A pynetdicom Storage SCP answering every SR with ``status``."""

    def __init__(self, status: int) -> None:
        from pynetdicom import AE, evt
        self.status = status
        self.received = []
        ae = AE(ae_title='PACS')
        for sop_class in SR_SOP_CLASSES:
            ae.add_supported_context(sop_class)
        self.port = free_port()
        self.server = ae.start_server(
            ('127.0.0.1', self.port),
            block=False,
            evt_handlers=[(evt.EVT_C_STORE, self._on_store)])

    def _on_store(self, event):
        self.received.append(str(event.dataset.SOPInstanceUID))
        return self.status

    def close(self):
        self.server.shutdown()


def test_sender_retries_dead_letters_and_waits_for_the_destination(tmp_path):
    spool = Spool(str(tmp_path / 'spool'))
    refusing = _StoreSCP(0xA700)
    events = []
    sender = Sender(
        spool,
        Destination('PACS', '127.0.0.1', refusing.port),
        'MMSPINE',
        max_attempts=3,
        retry_base=0.05,
        retry_max=0.2,
        timeout=5,
        on_event=lambda *e: events.append(e))
    sender.start()
    try:
        _write_sr(spool, tmp_path, 'refused')
        sender.add('refused')
        wait_for(lambda: spool.ids('dead') == ['refused'], 20,
                 'the dead letter')
        assert len(refusing.received) == 3
        assert spool.read_json('dead',
                               'refused')['reason'] == ('status 0xA700')
        assert spool.ids('outbox') == [] and events[-1][:2] == ('dead',
                                                                'refused')
        refusing.close()

        # nobody listening: the SR waits, no attempt is counted
        waiting = new_id()
        _write_sr(spool, tmp_path, waiting)
        sender.add(waiting)
        wait_for(lambda: sender.dest_state['failures'] >= 2, 20,
                 'two failed associations')
        assert spool.ids('outbox') == [waiting]
        assert spool.read_json('outbox', waiting) is None
        accepting = _StoreSCP(0x0000)
        sender.dest = Destination('PACS', '127.0.0.1', accepting.port)
        wait_for(lambda: spool.ids('sent', '.json') == [waiting], 20,
                 'the delivery')
        record = spool.read_json('sent', waiting)
        sr_uid = record['sr_sop_instance_uid']
        assert 0 < record['latency'] < 60
        assert accepting.received == [sr_uid]
        assert spool.ids('outbox') == []
        assert events[-1][:2] == ('sent', waiting)
        accepting.close()
    finally:
        sender.stop()
        sender.join(10)


def test_sender_resumes_outbox_and_attempts_after_restart(tmp_path):
    spool = Spool(str(tmp_path / 'spool'))
    _write_sr(spool, tmp_path, 'left')
    spool.write_json('outbox', 'left', dict(attempts=2, reason='x'))
    scp = _StoreSCP(0xA700)
    sender = Sender(
        spool,
        Destination('PACS', '127.0.0.1', scp.port),
        'MMSPINE',
        max_attempts=3,
        retry_base=0.05)
    assert sender.pending() == 1
    sender.start()
    try:
        # one attempt left from the earlier run
        wait_for(lambda: spool.ids('dead') == ['left'], 20, 'the dead letter')
        assert len(scp.received) == 1
    finally:
        sender.stop()
        sender.join(10)
        scp.close()
