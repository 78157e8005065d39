// The Leaflet objects folium drew before this script ran (the map, the
// layer control, the communes basemap): see webmap/folium_map.py.
export const handles = window.crossmapHandles;
export const { map, layerControl } = handles;
