"""The reference hybrid retriever: LlamaIndex's QueryFusionRetriever (BM25 + vector, reciprocal
rerank) over the same units and the same vectors as smallbatch's snapshot."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from smallbatch.records import Doc


def fusion_retriever(units: list[Doc], vectors: np.ndarray, embedder, folder: Path, n: int,
                     top_k: int):
    import chromadb
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.core.embeddings import BaseEmbedding
    from llama_index.core.llms import MockLLM
    from llama_index.core.retrievers import QueryFusionRetriever
    from llama_index.core.schema import TextNode
    from llama_index.retrievers.bm25 import BM25Retriever
    from llama_index.vector_stores.chroma import ChromaVectorStore

    class Ours(BaseEmbedding):  # the same query embedder as smallbatch
        def _get_query_embedding(self, query: str) -> list[float]:
            return embedder.encode_query([query])[0].tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return embedder.encode([text])[0].tolist()

    from tqdm import tqdm

    client = chromadb.PersistentClient(path=str(folder))
    fresh = "llamaindex" not in [c.name for c in client.list_collections()]
    collection = client.get_or_create_collection("llamaindex", embedding_function=None,
                                                 configuration={"hnsw": {"space": "cosine"}})
    storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
    index = VectorStoreIndex([], storage_context=storage, embed_model=Ours())
    nodes = []
    for i in tqdm(range(0, len(units), 2000), desc="llamaindex nodes", unit="batch"):
        batch = [TextNode(id_=u.id, text=u.text, embedding=v.tolist())
                 for u, v in zip(units[i:i + 2000], vectors[i:i + 2000])]
        if fresh:
            index.insert_nodes(batch)
        for node in batch:  # a list of 384 Python floats a node: drop it once stored
            node.embedding = None
        nodes += batch
    bm25 = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=n)
    vector = index.as_retriever(similarity_top_k=n)
    return QueryFusionRetriever([bm25, vector], llm=MockLLM(), mode="reciprocal_rerank",
                                similarity_top_k=top_k, num_queries=1, use_async=False)
