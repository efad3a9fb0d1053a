"""A real CTranslate2 translation model made at run time, as an operator's OPUS-MT folder would hold it (model.bin,
config.json, shared_vocabulary.json, source.spm, target.spm): a one-layer Transformer with random weights and a
character SentencePiece model trained on three sentences. It translates nothing well, but it loads and runs
through the same code as a real OPUS-MT conversion (a real one is hundreds of megabytes and not on PyPI)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

_CORPUS = ["Press the button to open the menu.", "Open the file and save it.", "Click Save to keep your changes."]


def _shape(path: str, width: int, inner: int, vocab: int) -> tuple[int, ...]:
    if path.endswith(("embeddings_0/weight", "embeddings/weight", "projection/weight")):
        return vocab, width
    if path.endswith(("gamma", "beta")):
        return (width,)
    if "self_attention/linear_0" in path:
        return 3 * width, width  # queries, keys and values in one matrix
    if "attention/linear_1" in path and "self_attention" not in path:
        return 2 * width, width  # the cross attention's keys and values
    if "ffn/linear_0" in path:
        return inner, width
    if "ffn/linear_1" in path:
        return width, inner
    return width, width


def _fill(spec, rng, sizes: tuple[int, int, int], prefix: str = "") -> None:
    from ctranslate2.specs import model_spec

    for name, value in list(vars(spec).items()):
        path = prefix + name
        if isinstance(value, model_spec.LayerSpec):
            _fill(value, rng, sizes, path + "/")
        elif isinstance(value, list) and value and isinstance(value[0], model_spec.LayerSpec):
            for i, layer in enumerate(value):
                _fill(layer, rng, sizes, f"{path}_{i}/")
        elif value is None:
            setattr(spec, name, (rng.standard_normal(_shape(path, *sizes)) * 0.5).astype(np.float32))


def make_ct2_model(folder: Path) -> Path:
    import sentencepiece
    from ctranslate2.specs import transformer_spec

    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(_CORPUS * 30), model_writer=buffer, vocab_size=40, model_type="char",
        character_coverage=1.0, bos_id=-1, eos_id=1, unk_id=2, pad_id=0, minloglevel=2)
    pieces = sentencepiece.SentencePieceProcessor(model_proto=buffer.getvalue())
    vocabulary = ["<pad>", "</s>", "<unk>", *(pieces.id_to_piece(i) for i in range(3, pieces.get_piece_size()))]
    spec = transformer_spec.TransformerSpec.from_config((1, 1), 2)
    _fill(spec, np.random.default_rng(0), (8, 16, len(vocabulary)))
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    spec.validate()
    spec.optimize(quantization=None)
    spec.save(str(folder))
    for name in ("source.spm", "target.spm"):
        (folder / name).write_bytes(buffer.getvalue())
    return folder
