"""Reads an indexed dataset (PREFIX.idx / PREFIX.bin, the MMIDIDX format of docs/data.md) into one
list of token ids per document, for the reference tests."""
import struct

import numpy as np

DTYPES = {1: np.uint8, 2: np.int8, 3: np.int16, 4: np.int32, 5: np.int64, 8: np.uint16}


def read_documents(prefix):
    with open(prefix + ".idx", "rb") as f:
        index = f.read()
    if index[:9] != b"MMIDIDX\x00\x00":
        raise ValueError(f"{prefix}.idx: not an MMIDIDX index")
    version, code, sequences, documents = struct.unpack_from("<QBQQ", index, 9)
    if version != 1:
        raise ValueError(f"{prefix}.idx: version {version}")
    dtype = np.dtype(DTYPES[code])
    offset = 34
    lengths = np.frombuffer(index, np.int32, sequences, offset)
    offset += 4 * sequences
    pointers = np.frombuffer(index, np.int64, sequences, offset)
    offset += 8 * sequences
    doc_index = np.frombuffer(index, np.int64, documents, offset)
    tokens = np.fromfile(prefix + ".bin", dtype)
    result = []
    for d in range(documents - 1):
        ids = []
        for s in range(doc_index[d], doc_index[d + 1]):
            start = pointers[s] // dtype.itemsize
            ids.extend(tokens[start:start + lengths[s]].tolist())
        result.append(ids)
    return result
