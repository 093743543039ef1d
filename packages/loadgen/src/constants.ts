/** How latency histograms are encoded in the results (`HistogramRecord.encoding`). */
export const HISTOGRAM_ENCODING = 'hdrhistogram-compressed-base64';
