import { createContext, useContext } from 'react';

/** The state of the live feed (`GET /api/stream`), as the header shows it. */
export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'offline';

export const LiveContext = createContext<LiveStatus>('connecting');

export const useLive = (): LiveStatus => useContext(LiveContext);
