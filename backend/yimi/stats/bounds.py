"""The range each withheld count can take given what is published: integer bounds over sums.

Counts are non-negative integers bounded by ``[low, high]``, related by sums (``a = b + c``, a total
equal to its rows) and by ``a <= b``. ``tighten`` narrows every bound as far as the relations allow:
bounds propagation (each relation narrows each of its terms from the others' bounds, until nothing
changes), then, for the counts asked about, shaving: a bound value is tried alone, and dropped when
the relations then have no solution under propagation. What remains is what anyone can work out
with the same relations, which is what the public ranges must be.
"""

from __future__ import annotations

from collections import deque

# A relation: sum(coefficient * count) == 0 ("eq") or <= 0 ("le"), as (kind, [(coefficient, var)]).
Relation = tuple[str, list[tuple[int, int]]]
SHAVE_STEPS = 64  # per end of each range: far beyond the widths the audit asks for


class System:
    def __init__(self) -> None:
        self.low: list[int] = []
        self.high: list[int] = []
        self.relations: list[Relation] = []
        self.touching: list[list[int]] = []

    def add(self, low: int, high: int) -> int:
        self.low.append(low)
        self.high.append(high)
        self.touching.append([])
        return len(self.low) - 1

    def raise_low(self, var: int, low: int) -> None:
        self.low[var] = max(self.low[var], low)

    def _relate(self, kind: str, terms: list[tuple[int, int]]) -> None:
        index = len(self.relations)
        self.relations.append((kind, terms))
        for _, var in terms:
            self.touching[var].append(index)

    def equal(self, left: list[int], right: list[int]) -> None:
        """sum(left) == sum(right)"""
        self._relate("eq", [(1, v) for v in left] + [(-1, v) for v in right])

    def at_most(self, smaller: int, larger: int) -> None:
        self._relate("le", [(1, smaller), (-1, larger)])

    def propagate(self, low: list[int], high: list[int], start: list[int] | None = None) -> bool:
        """Narrows ``low``/``high`` in place; False when the relations have no solution."""
        queue = deque(range(len(self.relations)) if start is None else start)
        queued = set(queue)
        while queue:
            index = queue.popleft()
            queued.discard(index)
            kind, terms = self.relations[index]
            # Least and most each term can contribute.
            least = [c * low[v] if c > 0 else c * high[v] for c, v in terms]
            most = [c * high[v] if c > 0 else c * low[v] for c, v in terms]
            sum_least, sum_most = sum(least), sum(most)
            if sum_least > 0 or (kind == "eq" and sum_most < 0):
                return False
            for k, (c, v) in enumerate(terms):
                # c * x <= -(sum of the others' least); for "eq" also >= -(sum of the others' most).
                upper = -(sum_least - least[k])
                lower = -(sum_most - most[k]) if kind == "eq" else None
                new_low, new_high = low[v], high[v]
                if c > 0:
                    new_high = min(new_high, upper // c)
                    if lower is not None:
                        new_low = max(new_low, -((-lower) // c))
                else:
                    new_low = max(new_low, -(upper // -c))
                    if lower is not None:
                        new_high = min(new_high, (-lower) // -c)
                if new_low > new_high:
                    return False
                if new_low != low[v] or new_high != high[v]:
                    low[v], high[v] = new_low, new_high
                    for other in self.touching[v]:
                        if other not in queued:
                            queued.add(other)
                            queue.append(other)
        return True

    def _possible(self, var: int, value: int) -> bool:
        low, high = list(self.low), list(self.high)
        low[var] = high[var] = value
        return self.propagate(low, high, self.touching[var])

    def tighten(self, shave: list[int]) -> bool:
        """Propagation, then shaving of the ``shave`` counts, until stable; False when infeasible."""
        if not self.propagate(self.low, self.high):
            return False
        changed = True
        while changed:
            changed = False
            for var in shave:
                steps = 0
                while self.low[var] < self.high[var] and steps < SHAVE_STEPS and not self._possible(var, self.low[var]):
                    self.low[var] += 1
                    steps += 1
                    changed = True
                steps = 0
                while (
                    self.low[var] < self.high[var] and steps < SHAVE_STEPS and not self._possible(var, self.high[var])
                ):
                    self.high[var] -= 1
                    steps += 1
                    changed = True
                if changed and not self.propagate(self.low, self.high, self.touching[var]):
                    return False
        return True
