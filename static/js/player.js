// The watch page's player. HLS through hls.js (vendored) where Media Source Extensions exist,
// native HLS where the browser plays it itself, else the MP4 with its WebVTT tracks. Menus pick
// the audio language and the subtitles; cues are drawn in the page (over the video, and in our
// own full screen) so they can be styled and read; the step list seeks.
(function () {
  "use strict";

  function setup(figure) {
    const video = figure.querySelector("video");
    const controls = figure.querySelector("[data-player-controls]");
    const audioMenu = figure.querySelector("[data-audio-menu]");
    const subtitleMenu = figure.querySelector("[data-subtitle-menu]");
    const stateLine = figure.querySelector("[data-player-state]");
    const captions = figure.querySelector("[data-captions]");
    const fullscreen = figure.querySelector("[data-fullscreen]");
    const names = {};
    Array.from(audioMenu.options).forEach(function (o) { names[o.value] = o.textContent; });
    const player = { mode: "mp4", hls: null, audio: audioMenu.value, subtitles: "" };
    window.contentizerPlayer = player;
    controls.hidden = false;

    function report() {
      figure.dataset.mode = player.mode;
      figure.dataset.audioLanguage = player.audio || "";
      figure.dataset.subtitleLanguage = player.subtitles || "";
      const audio = player.audio ? names[player.audio] + " audio" : "default audio";
      const subs = player.subtitles ? names[player.subtitles] + " subtitles" : "no subtitles";
      stateLine.textContent = "Playing " + audio + ", " + subs + ".";
    }

    // --- captions drawn by the page ---------------------------------------------------------
    function chosenTrack() {
      if (!player.subtitles) return null;
      return Array.from(video.textTracks).find(function (t) {
        return t.mode !== "disabled" && (t.kind === "subtitles" || t.kind === "captions") &&
          (t.language || "").toLowerCase() === player.subtitles.toLowerCase();
      }) || null;
    }
    function drawCues() {
      const track = chosenTrack();
      const cues = track && track.activeCues ? Array.from(track.activeCues) : [];
      captions.replaceChildren.apply(captions, cues.map(function (cue) {
        const line = document.createElement("span");
        line.textContent = (cue.text || "").replace(/<[^>]*>/g, "");
        return line;
      }));
      captions.hidden = cues.length === 0;
    }
    function watchTrack(track) {
      track.addEventListener("cuechange", drawCues);
    }
    Array.from(video.textTracks).forEach(watchTrack);
    video.textTracks.addEventListener("addtrack", function (event) { watchTrack(event.track); });
    video.addEventListener("timeupdate", drawCues);
    video.addEventListener("seeked", drawCues);

    // --- the three ways to play -----------------------------------------------------------------
    function useMp4Tracks() {
      Array.from(video.textTracks).forEach(function (t) {
        t.mode = t.language === player.subtitles ? "hidden" : "disabled";
      });
      drawCues();
    }

    function startMp4(reason) {
      if (player.hls) { player.hls.destroy(); player.hls = null; }
      player.mode = "mp4";
      if (video.getAttribute("src") !== figure.dataset.mp4) video.src = figure.dataset.mp4;
      audioMenu.disabled = true;
      audioMenu.title = "Only the default audio language plays in this browser.";
      player.audio = audioMenu.options.length ? audioMenu.options[0].value : "";
      audioMenu.value = player.audio;
      useMp4Tracks();
      report();
      if (reason) stateLine.textContent += " " + reason;
    }

    function startHlsJs() {
      player.mode = "hls.js";
      video.querySelectorAll("track").forEach(function (t) { t.remove(); });
      video.removeAttribute("src");
      video.load();
      const hls = new window.Hls({ renderTextTracksNatively: true });
      hls.subtitleDisplay = false; // the chosen track stays "hidden": the page draws its cues
      player.hls = hls;
      hls.on(window.Hls.Events.MANIFEST_PARSED, function () {
        const current = hls.audioTracks[hls.audioTrack];
        player.audio = current ? current.lang : audioMenu.value;
        audioMenu.value = player.audio;
        report();
      });
      hls.on(window.Hls.Events.AUDIO_TRACK_SWITCHED, function (event, data) {
        const track = hls.audioTracks[data.id];
        if (track) { player.audio = track.lang; audioMenu.value = track.lang; report(); }
      });
      hls.on(window.Hls.Events.SUBTITLE_TRACK_SWITCH, function (event, data) {
        const track = hls.subtitleTracks[data.id];
        player.subtitles = track ? track.lang : "";
        subtitleMenu.value = player.subtitles;
        report();
        drawCues();
      });
      hls.on(window.Hls.Events.ERROR, function (event, data) {
        if (data.fatal) startMp4("(Streaming failed; playing the MP4 instead.)");
      });
      hls.loadSource(figure.dataset.hls);
      hls.attachMedia(video);
    }

    function startNativeHls() {
      player.mode = "native-hls";
      video.querySelectorAll("track").forEach(function (t) { t.remove(); });
      video.src = figure.dataset.hls;
      video.addEventListener("error", function () { startMp4("(Streaming failed; playing the MP4 instead.)"); },
        { once: true });
      report();
    }

    // --- menus ----------------------------------------------------------------------------------
    audioMenu.addEventListener("change", function () {
      const wanted = audioMenu.value;
      if (player.mode === "hls.js") {
        const index = player.hls.audioTracks.findIndex(function (t) { return t.lang === wanted; });
        if (index >= 0) player.hls.audioTrack = index;
      } else if (player.mode === "native-hls" && video.audioTracks) {
        Array.from(video.audioTracks).forEach(function (t) { t.enabled = t.language === wanted; });
        player.audio = wanted;
        report();
      }
    });
    subtitleMenu.addEventListener("change", function () {
      const wanted = subtitleMenu.value;
      if (player.mode === "hls.js") {
        player.hls.subtitleTrack = player.hls.subtitleTracks.findIndex(function (t) { return t.lang === wanted; });
        if (!wanted) { player.subtitles = ""; report(); drawCues(); }
        return;
      }
      player.subtitles = wanted;
      useMp4Tracks();
      report();
    });

    document.querySelectorAll("[data-seek]").forEach(function (button) {
      button.disabled = false;
      button.addEventListener("click", function () {
        video.currentTime = parseFloat(button.dataset.seek) + 0.01;
        video.play().catch(function () { /* the person presses play */ });
      });
    });

    if (fullscreen && figure.requestFullscreen) {
      video.setAttribute("controlslist", "nofullscreen"); // ours keeps the drawn subtitles
      fullscreen.addEventListener("click", function () {
        if (document.fullscreenElement) document.exitFullscreen(); else figure.requestFullscreen();
      });
    } else if (fullscreen) {
      fullscreen.hidden = true;
    }

    if (window.Hls && window.Hls.isSupported()) startHlsJs();
    else if (video.canPlayType("application/vnd.apple.mpegurl")) startNativeHls();
    else startMp4("");
  }

  document.querySelectorAll("[data-player]").forEach(setup);
})();
