import { describe, expect, it } from 'vitest';
import { detectFormat, hintsFromFileName, splitExchangeSymbol, upbitMarket } from '../../src/market-data/index.js';

describe('market names', () => {
  it('splits exchange symbols by known quotes, longest first, with settle suffixes for derivatives', () => {
    expect(splitExchangeSymbol('BTCUSDT')).toBe('BTC/USDT');
    expect(splitExchangeSymbol('ethbtc')).toBe('ETH/BTC');
    expect(splitExchangeSymbol('BTCFDUSD')).toBe('BTC/FDUSD');
    expect(splitExchangeSymbol('ETHBUSD')).toBe('ETH/BUSD');
    expect(splitExchangeSymbol('RUNEEUR')).toBe('RUNE/EUR');
    expect(splitExchangeSymbol('BTCUSDT', 'quote')).toBe('BTC/USDT:USDT');
    expect(splitExchangeSymbol('BTCUSD_PERP', 'base')).toBe('BTC/USD:BTC');
    expect(splitExchangeSymbol('USDT')).toBeUndefined();
    expect(splitExchangeSymbol('FOOBAR')).toBeUndefined();
    // The longest quote unless it leaves a base under three letters: BitMEX's XBTUSD, not XB/TUSD.
    expect(splitExchangeSymbol('XBTUSD')).toBe('XBT/USD');
    expect(splitExchangeSymbol('BTCTUSD')).toBe('BTC/TUSD');
    expect(splitExchangeSymbol('OPUSDT')).toBe('OP/USDT');
    // Separated symbols (Coinbase, OKX, Kraken, Gate, Huobi), base and quote as written.
    expect(splitExchangeSymbol('BTC-USD')).toBe('BTC/USD');
    expect(splitExchangeSymbol('btc-usdt')).toBe('BTC/USDT');
    expect(splitExchangeSymbol('XBT/USD')).toBe('XBT/USD');
    expect(splitExchangeSymbol('SHIB_USDT')).toBe('SHIB/USDT');
    // A contract part makes a derivative: linear in a stablecoin, else inverse; a date is dropped.
    expect(splitExchangeSymbol('BTC-USDT-SWAP')).toBe('BTC/USDT:USDT');
    expect(splitExchangeSymbol('BTC-USD-SWAP')).toBe('BTC/USD:BTC');
    expect(splitExchangeSymbol('ETH-USD-220624')).toBe('ETH/USD:ETH');
    expect(splitExchangeSymbol('BTC-PERPETUAL')).toBe('BTC/USD:BTC');
    expect(splitExchangeSymbol('ETH-24JUN22')).toBe('ETH/USD:ETH');
    expect(splitExchangeSymbol('BTCUSD_200626')).toBe('BTC/USD:BTC');
    expect(splitExchangeSymbol('BTCUSDT_230630')).toBe('BTC/USDT:USDT');
    expect(splitExchangeSymbol('BTCUSDT', 'auto')).toBe('BTC/USDT:USDT');
    expect(splitExchangeSymbol('BTCUSD', 'auto')).toBe('BTC/USD:BTC');
    // An option's symbol, or one with no market in it, is not a market.
    expect(splitExchangeSymbol('BTC-24JUN22-30000-C')).toBeUndefined();
    expect(splitExchangeSymbol('-USD')).toBeUndefined();
    expect(upbitMarket('KRW-BTC')).toBe('BTC/KRW');
    expect(upbitMarket('BTC-XRP')).toBe('XRP/BTC');
    expect(upbitMarket('KRWBTC')).toBeUndefined();
  });

  it('reads market and timeframe from the file naming schemes of the formats', () => {
    expect(hintsFromFileName('BTC_USDT-5m.csv.gz')).toEqual({ market: 'BTC/USDT', timeframeMs: 300_000 });
    expect(hintsFromFileName('ETH_BTC-1h.json')).toEqual({ market: 'ETH/BTC', timeframeMs: 3_600_000 });
    expect(hintsFromFileName('BTC_USDT_USDT-1d-futures.json')).toEqual({ market: 'BTC/USDT:USDT', timeframeMs: 86_400_000 });
    expect(hintsFromFileName('KRW-BTC-15m.csv')).toEqual({ market: 'BTC/KRW', timeframeMs: 900_000 });
    expect(hintsFromFileName('binance-XRP_ETH-2019-10-trades.json.gz')).toEqual({ market: 'XRP/ETH' });
    expect(hintsFromFileName('DOGE_USDT-trades.json.gz')).toEqual({ market: 'DOGE/USDT' });
    expect(hintsFromFileName('binance_spot_BTCUSDT_trades_2021-01-08.csv')).toEqual({ market: 'BTC/USDT' });
    expect(hintsFromFileName('usdm_ethusdt_20240901.gz')).toEqual({ market: 'ETH/USDT:USDT' });
    expect(hintsFromFileName('spot_solusdt_20240901.gz')).toEqual({ market: 'SOL/USDT' });
    expect(hintsFromFileName('UPBIT.ws.62.0')).toEqual({});
  });

  it('detects formats from the first line, whatever the file is called (but for Tardis liquidations, told by their name)', () => {
    expect(detectFormat('x', 'timestamp,open,high,low,close,volume\n1,2,3,1,2,5\n')).toBe('candles-csv');
    expect(detectFormat('x', '1609459200000,1,2,0.5,1.5,10\n')).toBe('candles-csv');
    expect(detectFormat('x', '[[1609459200000,1,2,0.5,1.5,10],')).toBe('candles-json');
    expect(detectFormat('x', '[\n  [1570752011620, "13519807", null, "sell", 0.0014, 23.0, 0.03]')).toBe('freqtrade-trades-json');
    expect(detectFormat('x', 'market,symbol,trade_time_ms,local_recv_ns\n')).toBe('binance-trades-csv');
    expect(detectFormat('x', 'exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n')).toBe('tardis-trades-csv');
    // Tardis's other datasets start alike: their prices and sizes are no trades (a funding rate read as BTC's price).
    expect(detectFormat('binance-futures_quotes_2020-02-22_BTCUSDT.csv.gz', 'exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount\n')).toEqual({ reason: expect.stringMatching(/^a Tardis dataset other than trades \(columns ask_amount,ask_price,bid_price,bid_amount…\)/) });
    expect(detectFormat('x', 'exchange,symbol,timestamp,local_timestamp,funding_timestamp,funding_rate,predicted_funding_rate,open_interest,last_price,index_price,mark_price\n')).toHaveProperty('reason');
    expect(detectFormat('x', 'exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n')).toHaveProperty('reason');
    // Liquidations have the trades' columns: the name Tardis gives them tells them apart.
    expect(detectFormat('binance-futures_liquidations_2020-02-22_BTCUSDT.csv.gz', 'exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n')).toEqual({ reason: expect.stringMatching(/^Tardis liquidations/) });
    expect(detectFormat('binance-futures_trades_2020-02-22_BTCUSDT.csv.gz', 'exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n')).toBe('tardis-trades-csv');
    expect(detectFormat('x', 'timestamp,trade_id,price,quantity,buyer_maker\n')).toBe('nautilus-trades-csv');
    expect(detectFormat('x', '1723161253937085768 {"stream":"btcusdt@trade","data":{}}\n')).toBe('ws-capture');
    expect(detectFormat('x', 'wss://api.upbit.com/websocket/v1 <-> 1618678261.681707\n')).toBe('ws-capture');
    expect(detectFormat('x', '{"recv_ts":1.5,"msg":{}}\n')).toBe('ws-capture');
    expect(detectFormat('x', 'https://api.upbit.com/v1/market/all -> 1618678261.68: []\n')).toEqual({ reason: 'a REST answer capture, not a market data stream' });
    expect(detectFormat('x', 'date,price\n')).toHaveProperty('reason');
  });
});
