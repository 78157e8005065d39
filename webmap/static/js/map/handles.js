// The Leaflet objects folium drew before this script ran (the map, the
// layer control, the communes basemap): see webmap/folium_map.py.
export const handles = window.crossmapHandles;
export const { map, layerControl } = handles;

// The cell's own basemap shown as the base layer, and the hillshade or
// aerial layer switched on under it (names, or null): published by the
// page map's basemap script (webmap/render/basemap_layers.py).
export const basemapShown = () => window.crossmapBasemap || null;
export const underShown = () => window.crossmapUnder || null;
