"""An Arrow table of request-log columns as the contract's pandas frame.

Every fast reader ends here: DuckDB's and Arrow's JSON readers, Parquet. The conversion is
where a big log's load spends its time after the parse, so it works column by column on two
threads and skips the work a column does not need (a text column of one value is not
hashed, a frame already in the contract's dtypes is not conformed again).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chatkit.logs.columns import ProcessSwitch, small_pages
from chatkit.logs.schema import CATEGORICAL, conform, pandas_dtype, pandas_type_of
from chatkit.logs.timestamps import parse_timestamps

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from chatkit.logs.readers import Skipped

__all__ = ["arrow_to_frame"]

_THREADED_ROWS = 100_000  # tables from this size on are converted on two threads


def arrow_to_frame(table: pa.Table, columns: Sequence[str], stats: Skipped | None = None
                   ) -> pd.DataFrame:
    """An Arrow table of contract columns as a frame in the contract's pandas dtypes.

    Each column is prepared by Arrow (timestamps parsed, few-valued text dictionary-encoded)
    and turned into its pandas column in one task; a big table's tasks run on two threads,
    the costly ones first, since Arrow's kernels and most of its pandas conversion run
    without the GIL. The columns are put together without gathering those of one dtype into
    one block (a copy of each). A frame that then holds the contract's columns in its dtypes
    is returned as it is, without another pass through :func:`~chatkit.logs.schema.conform`.
    """
    import pandas as pd

    names = table.column_names
    assumed = unreadable = 0

    def converted(i: int) -> pd.Series:
        nonlocal assumed, unreadable
        name, column = names[i], table.column(i)
        if name in CATEGORICAL:
            column = _dictionary(column)
        elif name == "ts":
            parsed = parse_timestamps(column)
            assumed, unreadable = parsed.assumed_utc, parsed.unreadable
            column = parsed.values
        return _pandas(name, column)

    # longest first, so that the two threads finish together
    order = sorted(range(len(names)), key=lambda i: _COST.get(names[i], 2))
    with small_pages(), _malloc_pool():
        if table.num_rows >= _THREADED_ROWS:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(2) as pool:
                done = dict(zip(order, pool.map(converted, order), strict=True))
        else:
            done = {i: converted(i) for i in order}
        if stats is not None:
            stats.timestamps(assumed, unreadable)
        frame = pd.DataFrame({names[i]: done[i] for i in range(len(names))}, copy=False)
        if names == list(columns) and all(str(dtype) == str(pandas_dtype(c))
                                          for c, dtype in zip(columns, frame.dtypes, strict=True)):
            return frame
        return conform(frame, columns, keep_extra=False, stats=stats)


#: The order arrow_to_frame converts columns in: parsing the time and hashing text cost most.
_COST = {"ts": 0, **{name: 1 for name in CATEGORICAL}}


def _system_pool() -> Any:
    import pyarrow as pa

    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    return previous


def _set_pool(pool: Any) -> None:
    import pyarrow as pa

    pa.set_memory_pool(pool)


#: Within the block, Arrow allocates with the C library's malloc, not its default pool.
#:
#: The conversion makes a few large, short-lived buffers (casts, dictionaries, the pandas
#: columns). Measured on a 1M-row log, Arrow's default pool (mimalloc in current wheels) took
#: 0.09-0.24 s for it, jemalloc 0.14 s and malloc 0.13 s, every time. The pool is a
#: process-wide setting of Arrow's; it is restored when the last block leaves, and each
#: buffer is freed by the pool that allocated it.
_malloc_pool = ProcessSwitch(_system_pool, _set_pool)


def _dictionary(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Few-valued text dictionary-encoded, in the order values first appear.

    A column that holds one value (a log's host, its endpoint) is found by comparing every
    row with it, about a quarter of the cost of hashing every row, and gets the same
    dictionary array Arrow's encoding would give. The comparison is tried on the first chunk
    with a value before the whole column, so a column of several values pays little for it.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    sample = next((chunk for chunk in column.chunks if chunk.null_count < len(chunk)), None)
    if sample is None or not (pa.types.is_string(column.type)
                              or pa.types.is_large_string(column.type)):
        return column.dictionary_encode()
    value = pc.min(sample)  # of a column with one value: that value
    if not (pc.all(pc.equal(sample, value)).as_py() and pc.all(pc.equal(column, value)).as_py()):
        return column.dictionary_encode()
    dictionary = pa.array([value.as_py()], type=column.type)
    zeros = pa.py_buffer(np.zeros(max(c.offset + len(c) for c in column.chunks), np.int32))
    return pa.chunked_array(
        [pa.DictionaryArray.from_arrays(
            pa.Array.from_buffers(pa.int32(), len(chunk), [chunk.buffers()[0], zeros],
                                  chunk.null_count, chunk.offset), dictionary)
         for chunk in column.chunks],
        type=pa.dictionary(pa.int32(), column.type))


def _pandas(name: str, column: pa.ChunkedArray) -> pd.Series:
    """One column as pandas, as Arrow's ``to_pandas`` with the contract's types would give it.

    Dictionary-encoded text and integers are built here, straight into the arrays pandas
    keeps: Arrow's conversion first gathers the chunks into arrays of its own (int32 codes,
    per-chunk integer copies) that pandas then converts again, and on a big log every fresh
    array costs page faults as well as the copying.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    chunks = column.chunks
    if pa.types.is_dictionary(kind) and pa.types.is_signed_integer(kind.index_type) \
            and chunks and len(chunks[0].dictionary) \
            and all(c.dictionary.equals(chunks[0].dictionary) for c in chunks):
        dictionary = chunks[0].dictionary
        labels = pa.table([dictionary], names=[name]).to_pandas()  # as Arrow makes categories
        dtype = pd.CategoricalDtype(pd.Index(labels[name].array), ordered=False)
        codes = _gathered([c.indices for c in chunks], np.int8 if len(dictionary) < 127
                          else np.int32)
        if column.null_count:
            codes[pc.is_null(column).to_numpy(zero_copy_only=False)] = -1
        return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype, validate=False),
                         name=name, copy=False)
    if pa.types.is_int64(kind) and chunks:
        values = _gathered(chunks, np.int64)
        mask = (pc.is_null(column).to_numpy(zero_copy_only=False) if column.null_count
                else np.zeros(len(values), dtype=bool))
        return pd.Series(pd.arrays.IntegerArray(values, mask), name=name, copy=False)
    return pa.table([column], names=[name]).to_pandas(
        types_mapper=pandas_type_of, use_threads=False)[name]


def _gathered(arrays: list[pa.Array], dtype: Any) -> Any:
    """The values of fixed-width Arrow arrays, one after another, in one numpy array of
    ``dtype`` (what is under a null is kept as it is)."""
    import numpy as np

    out = np.empty(sum(len(a) for a in arrays), dtype=dtype)
    start = 0
    for array in arrays:
        if not len(array):
            continue
        width = array.type.byte_width
        data = np.frombuffer(array.buffers()[1], dtype=f"<i{width}",
                             count=array.offset + len(array))[array.offset:]
        out[start:start + len(array)] = data
        start += len(array)
    return out
