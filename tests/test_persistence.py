import json
from collections import OrderedDict

import numpy as np
import pytest
import skops.io as sio

from router import load_router
from router.artifacts.model_folder import read_metadata, write_model_folder
from router.artifacts.skops_io import read_skops
from router.errors import DataError, ModelNotFoundError, UntrustedModelError

TEXTS = ["Add rate limiting to the public REST API", "Make the pricing table responsive on phones"]


def test_probabilities_identical_after_save_and_load(fake_model, tmp_path):
    model, head = read_skops(fake_model / "model.skops"), read_skops(fake_model / "criteria.skops")
    write_model_folder(tmp_path / "copy", {"model.skops": model, "criteria.skops": head}, read_metadata(fake_model))
    copy = read_skops(tmp_path / "copy" / "model.skops")
    np.testing.assert_array_equal(model.predict_proba(TEXTS), copy.predict_proba(TEXTS))
    np.testing.assert_array_equal(model.predict(TEXTS), copy.predict(TEXTS))
    before, after = load_router(fake_model), load_router(tmp_path / "copy")
    assert [d.to_dict() for d in before.route_batch(TEXTS)] == [d.to_dict() for d in after.route_batch(TEXTS)]


class Foreign:
    """A type skops does not trust and we do not allow."""

    def __init__(self):
        self.payload = OrderedDict(a=1)


def test_foreign_type_is_refused(tmp_path):
    path = tmp_path / "evil.skops"
    sio.dump({"payload": Foreign()}, path)
    assert sio.get_untrusted_types(file=path)  # there is something outside the default trust
    with pytest.raises(UntrustedModelError, match="refusing nodes outside the allow-list"):
        read_skops(path)


def test_missing_and_corrupt_models(tmp_path):
    with pytest.raises(ModelNotFoundError, match="no model here"):
        load_router(tmp_path)
    with pytest.raises(ModelNotFoundError, match="model file not found"):
        read_skops(tmp_path / "absent.skops")
    (tmp_path / "junk.skops").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a readable skops file"):
        read_skops(tmp_path / "junk.skops")
    (tmp_path / "metadata.json").write_text("{oops")
    with pytest.raises(DataError, match="unreadable metadata"):
        read_metadata(tmp_path)


def test_model_folder_is_replaced_whole(fake_model, tmp_path):
    folder = tmp_path / "m"
    meta = read_metadata(fake_model)
    write_model_folder(folder, {}, meta.with_version("v0001"))
    (folder / "stale.txt").write_text("old")
    write_model_folder(folder, {}, meta.with_version("v0002"))
    assert json.loads((folder / "metadata.json").read_text())["version"] == "v0002"
    assert not (folder / "stale.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["m"]
