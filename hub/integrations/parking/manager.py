"""The parking runtime: plate reads in, sessions, fees, overstays and anomalies out.

`ParkingManager.async_on_plate` is a synchronous bus listener on `plate_detected`. It
decides at once (start, end, or report an anomaly), updates the in-memory tables, and
starts the session's database write as a task registered with `Hub.async_track_write`:
an automation reacting to the same read calls `gate.open`, and the gate waits for that
write before it moves, so the session row is committed before the barrier opens. The
`parking_session_*` events fire after the commit.

A read is applied once: the context id of each read that started or ended a session is
kept (stored as the session's `context_id` / `exit_context_id`, the last APPLIED_READS
read back at start), and a read with a context id seen before changes nothing. A worker
node's event keeps its envelope id as the context id on the central (mqtt/node_mirror.py),
so a plate read the broker delivers again after a central was killed is dropped here.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from hub.core.bus import CALLBACK_TYPE, Event
from hub.core.context import Context, new_id
from hub.core.exceptions import ServiceValidationError
from hub.core.limits import MAX_PLATE_LENGTH
from hub.plates import normalize_plate

from .config import BOTH, LotConfig, ParkingConfig
from .const import (
    ANOMALY_BLOCKED_PLATE,
    ANOMALY_DUPLICATE_ENTRY,
    ANOMALY_EXIT_WITHOUT_ENTRY,
    ANOMALY_LONG_STAY,
    ANOMALY_NEAR_MATCH,
    DIRECTION_ENTRY,
    DIRECTION_EXIT,
    DIRECTION_UNKNOWN,
    EVENT_ANOMALY,
    EVENT_OVERSTAY,
    EVENT_SESSION_ENDED,
    EVENT_SESSION_STARTED,
    STATUS_CLOSED,
)
from .durable import report_write
from .matching import closest
from .models import Session, iso
from .tariff import compute_fee, surcharge_multiplier

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .reservations import ReservationBook
    from .store import ParkingStore

__all__ = ["ParkingManager"]

_LOGGER = logging.getLogger(__name__)

# Contexts of applied reads remembered (in memory; the newest read back at start).
APPLIED_READS = 10_000
APPLIED_LOADED = 1_000


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _at(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


class ParkingManager:
    """Open sessions by lot and plate, their timers, and what ends them."""

    def __init__(
        self,
        hub: Hub,
        config: ParkingConfig,
        store: ParkingStore,
        reservations: ReservationBook,
    ) -> None:
        self.hub = hub
        self.config = config
        self.store = store
        self.reservations = reservations
        self.currency = hub.config.currency
        self.open: dict[str, dict[str, Session]] = {lot: {} for lot in config.lots}
        self._timers: dict[str, list[CALLBACK_TYPE]] = {}
        # Called with a lot id whenever its sessions or revenue changed (the entities).
        self.listeners: list[Callable[[str], None]] = []
        # Called with (lot id, direction) for every read of a lot's camera (passages).
        self.read_listeners: list[Callable[[str, str], None]] = []
        # Context ids of the reads that started or ended a session, oldest first.
        self._applied: OrderedDict[str, None] = OrderedDict()

    # -- start-up -------------------------------------------------------------------------

    async def async_load(self) -> None:
        """Take back the open sessions and re-arm their overstay and long-stay timers."""
        for context_id in await self.store.async_recent_contexts(APPLIED_LOADED):
            self._applied_now(context_id)
        for session in await self.store.async_open_sessions():
            if session.lot not in self.open:
                _LOGGER.warning(
                    "Open session %s of %s is in lot %s, which is no longer configured",
                    session.id,
                    session.plate,
                    session.lot,
                )
                continue
            self.open[session.lot][session.plate] = session
            self._arm(session)

    def async_stop(self) -> None:
        for cancels in self._timers.values():
            for cancel in cancels:
                cancel()
        self._timers.clear()

    # -- plate reads ----------------------------------------------------------------------

    def async_on_plate(self, event: Event) -> None:
        """`plate_detected`: start or end a session, or report what does not add up."""
        data = event.data
        if event.context.id in self._applied:
            _LOGGER.debug("plate_detected %s was applied already: ignored", event.context.id)
            return
        plate = normalize_plate(data.get("plate"))
        camera = _text(data.get("camera")) or ""
        if not plate:
            _LOGGER.warning("plate_detected from %s without a plate: %s", camera or "?", data)
            return
        if len(plate) > MAX_PLATE_LENGTH:
            _LOGGER.warning(
                "plate_detected from %s with a plate of %d characters (at most %d): ignored",
                camera or "?",
                len(plate),
                MAX_PLATE_LENGTH,
            )
            return
        found = self.config.lot_for_camera(camera)
        if found is None:
            return  # a camera no lot watches
        lot, role = found
        direction = role if role != BOTH else str(data.get("direction") or DIRECTION_UNKNOWN)
        if direction not in (DIRECTION_ENTRY, DIRECTION_EXIT):
            # A camera on a two-way lane: out if the car is in, else in.
            direction = DIRECTION_EXIT if plate in self.open[lot.id] else DIRECTION_ENTRY
        for listener in self.read_listeners:
            listener(lot.id, direction)
        snapshot = _text(data.get("snapshot"))
        plate_list = _text(data.get("list"))
        listed = str(data.get("listed") or "none")
        context = event.context
        if listed == "block":
            self.fire_anomaly(
                ANOMALY_BLOCKED_PLATE,
                lot,
                plate,
                camera,
                context,
                list=plate_list,
                direction=direction,
            )
            if direction == DIRECTION_ENTRY:
                return  # no session for a car the lot turns away
        if direction == DIRECTION_ENTRY:
            existing = self.open[lot.id].get(plate)
            if existing is not None:
                self.fire_anomaly(
                    ANOMALY_DUPLICATE_ENTRY, lot, plate, camera, context, session=existing
                )
                return
            self.async_start(lot, plate, context, plate_list, listed, camera, snapshot)
            return
        self._exit(lot, plate, data, context, camera, snapshot)

    def _exit(
        self,
        lot: LotConfig,
        plate: str,
        data: Mapping[str, Any],
        context: Context,
        camera: str,
        snapshot: str | None,
    ) -> None:
        """An exit read: end its session, or the one it was surely meant for, or report it."""
        session = self.open[lot.id].get(plate)
        if session is not None:
            self.async_end(session, context, camera=camera, snapshot=snapshot)
            return
        raw = data.get("candidates")
        candidates = [
            normalize_plate(item.get("plate"))
            for item in (raw if isinstance(raw, list) else ())
            if isinstance(item, Mapping)
        ]
        meant = next((c for c in candidates if c in self.open[lot.id]), None)
        if meant is None:
            meant = closest(plate, self.open[lot.id], lot.near_match_distance)
        if meant is None:
            self.fire_anomaly(ANOMALY_EXIT_WITHOUT_ENTRY, lot, plate, camera, context)
            return
        session = self.open[lot.id][meant]
        self.fire_anomaly(
            ANOMALY_NEAR_MATCH,
            lot,
            plate,
            camera,
            context,
            session=session,
            plates=[plate, meant],
        )
        self.async_end(
            session,
            context,
            camera=camera,
            snapshot=snapshot,
            exit_plate=plate,
            reason=ANOMALY_NEAR_MATCH,
        )

    # -- sessions -------------------------------------------------------------------------

    def async_start(
        self,
        lot: LotConfig,
        plate: str,
        context: Context,
        plate_list: str | None = None,
        listed: str = "none",
        camera: str | None = None,
        snapshot: str | None = None,
    ) -> Session:
        """Open a session now; its row is being committed when this returns."""
        now = self.hub.scheduler.timestamp()
        session = Session(
            id=new_id(),
            lot=lot.id,
            plate=plate,
            entry_time=now,
            list=plate_list,
            listed=listed,
            entry_camera=camera,
            entry_snapshot=snapshot,
            multiplier=surcharge_multiplier(lot.tariff, self._free_spaces(lot)),
            context_id=context.id,
        )
        self._applied_now(context.id)
        reservation = self.reservations.async_use(lot, plate, now)
        if reservation is not None:
            session.reservation_id = reservation.id
        self.open[lot.id][plate] = session
        self._arm(session)
        started = session.as_dict(self.currency)
        self._save(
            session,
            lambda: self.hub.bus.async_fire(EVENT_SESSION_STARTED, started, context=context),
        )
        self._changed(lot.id)
        return session

    def async_end(
        self,
        session: Session,
        context: Context,
        *,
        camera: str | None = None,
        snapshot: str | None = None,
        exit_plate: str | None = None,
        reason: str = DIRECTION_EXIT,
    ) -> Session:
        """Close a session now with its duration and fee."""
        lot = self.config.lots[session.lot]
        now = self.hub.scheduler.timestamp()
        session.status = STATUS_CLOSED
        session.exit_time = now
        session.exit_camera = camera
        session.exit_snapshot = snapshot
        session.exit_plate = exit_plate
        session.end_reason = reason
        session.fee = self.fee(session, now)
        session.exit_context_id = context.id
        self._applied_now(context.id)
        self.open[lot.id].pop(session.plate, None)
        self._disarm(session.id)
        ended = session.as_dict(self.currency)
        self._save(
            session, lambda: self.hub.bus.async_fire(EVENT_SESSION_ENDED, ended, context=context)
        )
        self._changed(lot.id)
        return session

    def fee(self, session: Session, until: float) -> int:
        """What the session costs if it ends at `until` (the tariff of its lot)."""
        lot = self.config.lots[session.lot]
        return compute_fee(
            lot.tariff,
            _at(session.entry_time),
            _at(until),
            self.hub.time_zone,
            lists=[session.list] if session.list else [],
            multiplier=session.multiplier,
        )

    def async_correct_plate(self, session: Session, plate: str) -> None:
        """A misread plate fixed by hand: the open session carries the right one from now
        on, so the car's exit read finds it."""
        inside = self.open[session.lot]
        if inside.get(plate, session) is not session:
            raise ServiceValidationError(f"plate: {plate} is already inside lot {session.lot}")
        inside.pop(session.plate, None)
        session.plate = plate
        inside[plate] = session
        self._save(session)
        self._changed(session.lot)

    def async_extend(self, session: Session, duration: timedelta) -> None:
        """Allow `duration` more; the overstay alert is armed again for the new limit."""
        session.extended_s += duration.total_seconds()
        session.overstay_fired = False
        self._disarm(session.id)
        self._arm(session)
        self._save(session)

    def async_pay(
        self, session: Session, amount: int | None, method: str, paid: bool | None
    ) -> None:
        """Record a payment: `amount` (default: what is still owed of the fee, or of the fee
        so far for a car still inside) and its method."""
        if amount is None:
            now = self.hub.scheduler.timestamp()
            owed = session.fee if session.fee is not None else self.fee(session, now)
            amount = max(0, owed - session.paid_amount)
        session.paid_amount += amount
        session.payment_method = method
        session.paid_at = self.hub.scheduler.timestamp()
        session.paid_flag = paid
        self._save(session)
        self._changed(session.lot)

    def find(self, lot: str | None, plate: str) -> Session | None:
        """The open session of `plate` (in `lot`, or in any lot)."""
        for lot_id, sessions in self.open.items():
            if (lot is None or lot == lot_id) and plate in sessions:
                return sessions[plate]
        return None

    def by_id(self, session_id: str) -> Session | None:
        for sessions in self.open.values():
            for session in sessions.values():
                if session.id == session_id:
                    return session
        return None

    # -- anomalies ------------------------------------------------------------------------

    def fire_anomaly(
        self,
        kind: str,
        lot: LotConfig,
        plate: str | None,
        camera: str | None,
        context: Context | None,
        *,
        session: Session | None = None,
        plates: list[str] | None = None,
        **extra: Any,
    ) -> None:
        data = {
            "kind": kind,
            "plate": plate,
            "plates": plates if plates is not None else ([plate] if plate else []),
            "lot": lot.id,
            "session_id": session.id if session is not None else None,
            "camera": camera,
            "time": self.hub.scheduler.utcnow().isoformat(),
            **extra,
        }
        _LOGGER.info("Parking anomaly %s in %s: %s", kind, lot.id, plate)
        self.hub.bus.async_fire(EVENT_ANOMALY, data, context=context)

    # -- timers ---------------------------------------------------------------------------

    def _arm(self, session: Session) -> None:
        lot = self.config.lots[session.lot]
        cancels = self._timers.setdefault(session.id, [])
        max_stay = lot.max_stay_for(session.list)
        if max_stay is not None and not session.overstay_fired:
            due = session.entry_time + max_stay.total_seconds() + session.extended_s
            cancels.append(
                self.hub.scheduler.async_call_at(_at(due), lambda now: self._overstay(session))
            )
        if not session.long_stay_fired:
            due = session.entry_time + lot.long_stay.total_seconds()
            cancels.append(
                self.hub.scheduler.async_call_at(_at(due), lambda now: self._long_stay(session))
            )

    def _disarm(self, session_id: str) -> None:
        for cancel in self._timers.pop(session_id, []):
            cancel()

    def _overstay(self, session: Session) -> None:
        if not session.is_open or session.overstay_fired:
            return
        lot = self.config.lots[session.lot]
        max_stay = lot.max_stay_for(session.list)
        allowed = (max_stay.total_seconds() if max_stay else 0.0) + session.extended_s
        stayed = self.hub.scheduler.timestamp() - session.entry_time
        session.overstay_fired = True
        self._save(session)
        data = {
            "session_id": session.id,
            "plate": session.plate,
            "lot": session.lot,
            "list": session.list,
            "entry_time": iso(session.entry_time),
            "max_stay_s": allowed,
            "stay_minutes": int(stayed // 60),
            "minutes": int(max(0.0, stayed - allowed) // 60),  # over the allowed stay
            "camera": session.entry_camera,
        }
        self.hub.bus.async_fire(EVENT_OVERSTAY, data, context=Context(parent_id=session.context_id))

    def _long_stay(self, session: Session) -> None:
        if not session.is_open or session.long_stay_fired:
            return
        session.long_stay_fired = True
        self._save(session)
        lot = self.config.lots[session.lot]
        days = (self.hub.scheduler.timestamp() - session.entry_time) / 86400
        self.fire_anomaly(
            ANOMALY_LONG_STAY,
            lot,
            session.plate,
            session.entry_camera,
            Context(parent_id=session.context_id),
            session=session,
            days=round(days, 2),
        )

    # -- helpers --------------------------------------------------------------------------

    def _save(self, session: Session, then: Callable[[], None] | None = None) -> None:
        """Commit the session as it is now, in a task the gates wait for; then `then()`."""
        row = session.row()

        async def write() -> None:
            await self.store.async_save_session(row)
            if then is not None:
                then()

        task = self.hub.async_create_task(write(), f"parking session {session.id}")
        self.hub.async_track_write(task)
        report_write(task)

    def _applied_now(self, context_id: str) -> None:
        self._applied[context_id] = None
        if len(self._applied) > APPLIED_READS:
            self._applied.popitem(last=False)

    def _free_spaces(self, lot: LotConfig) -> int | None:
        state = self.hub.states.get(lot.free_spaces_entity)
        try:
            return int(state.state) if state is not None else None
        except ValueError:
            return None  # unknown / unavailable

    def _changed(self, lot_id: str) -> None:
        for listener in self.listeners:
            listener(lot_id)
