// The watch page's player. HLS through hls.js (vendored) where Media Source Extensions exist,
// native HLS where the browser plays it itself, else the MP4 with its WebVTT tracks. Each language
// has its own picture (its captions, its step timing) with its narration: the Language menu
// switches picture, audio and (when they are on) subtitles together, staying on the same step;
// the Subtitles menu picks subtitles on their own. Cues are drawn in the page (over the video, and
// in our own full screen) so they can be styled and read; the step list seeks.
(function () {
  "use strict";

  function setup(figure) {
    const video = figure.querySelector("video");
    const controls = figure.querySelector("[data-player-controls]");
    const languageMenu = figure.querySelector("[data-language-menu]");
    const subtitleMenu = figure.querySelector("[data-subtitle-menu]");
    const stateLine = figure.querySelector("[data-player-state]");
    const captions = figure.querySelector("[data-captions]");
    const fullscreen = figure.querySelector("[data-fullscreen]");
    const names = {};
    Array.from(languageMenu.options).forEach(function (o) { names[o.value] = o.textContent; });
    const pictures = {};
    JSON.parse(figure.dataset.pictures || "[]").forEach(function (p) { pictures[p.lang] = p; });
    const first = languageMenu.options.length ? languageMenu.options[0].value : "";
    const player = { mode: "mp4", hls: null, language: first, audio: first, subtitles: "", startAt: -1, loading: false };
    window.contentizerPlayer = player;
    controls.hidden = false;

    function picture(lang) {
      return pictures[lang] || { lang: lang, hls: figure.dataset.hls, mp4: figure.dataset.mp4, starts: [], vtt: {} };
    }
    // videos made when one picture served every language: switching is an audio track of one stream
    function sharedPicture(a, b) { return picture(a).hls === picture(b).hls; }

    function report() {
      figure.dataset.mode = player.mode;
      figure.dataset.language = player.language || "";
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
        // the project's brand (set through the CSS object model: the policy refuses style attributes)
        if (captions.dataset.color) line.style.color = captions.dataset.color;
        if (captions.dataset.background) line.style.backgroundColor = captions.dataset.background;
        if (captions.dataset.scale) line.style.fontSize = "calc(" + captions.dataset.scale + " * clamp(.95rem, 3.2vw, 1.5rem))";
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

    // --- steps: where each starts in the picture playing ------------------------------------------
    function stepAt(p, time) {
      let index = 0;
      p.starts.forEach(function (start, i) { if (start <= time + 0.001) index = i; });
      return index;
    }
    // the same step, as far into it as we were (within the other picture's step)
    function sameStep(from, to, time) {
      if (!from.starts.length || from.starts.length !== to.starts.length) return time;
      const i = stepAt(from, time);
      const end = i + 1 < to.starts.length ? to.starts[i + 1] : (to.duration || to.starts[i] + 1);
      return to.starts[i] + Math.max(0, Math.min(time - from.starts[i], end - to.starts[i] - 0.05));
    }
    function clock(seconds) {
      const total = Math.floor(seconds);
      const hours = Math.floor(total / 3600), minutes = Math.floor(total / 60) % 60, secs = total % 60;
      const two = function (n) { return (n < 10 ? "0" : "") + n; };
      return hours ? hours + ":" + two(minutes) + ":" + two(secs) : minutes + ":" + two(secs);
    }
    // the step list follows the picture playing: where each step starts in it, and its caption
    function showSteps() {
      const p = picture(player.language);
      document.querySelectorAll("[data-step]").forEach(function (button) {
        const i = parseInt(button.dataset.step, 10);
        const start = p.starts[i];
        if (start === undefined) return;
        button.dataset.seek = String(start);
        const time = button.querySelector(".time");
        if (time) time.textContent = clock(start);
        const label = button.querySelector(".label");
        if (label && p.labels && p.labels[i]) label.textContent = p.labels[i];
      });
    }

    // --- the three ways to play -----------------------------------------------------------------
    function setMp4Tracks(p) {
      video.querySelectorAll("track").forEach(function (t) { t.remove(); });
      Object.keys(p.vtt || {}).forEach(function (lang) {
        const track = document.createElement("track");
        track.kind = "subtitles";
        track.src = p.vtt[lang];
        track.srclang = lang;
        track.label = names[lang] || lang;
        video.appendChild(track);
      });
    }
    function useMp4Tracks() {
      Array.from(video.textTracks).forEach(function (t) {
        t.mode = t.language === player.subtitles ? "hidden" : "disabled";
      });
      drawCues();
    }
    function seekWhenReady(target, play) {
      video.addEventListener("loadedmetadata", function () {
        if (target > 0) video.currentTime = target;
        if (play) video.play().catch(function () { /* the person presses play */ });
      }, { once: true });
    }

    function startMp4(reason) {
      if (player.hls) { player.hls.destroy(); player.hls = null; }
      player.mode = "mp4";
      const p = picture(player.language);
      if (video.getAttribute("src") !== p.mp4) {
        video.src = p.mp4;
        setMp4Tracks(p);
      }
      player.audio = player.language;
      // one picture for every language (an older video): its MP4 plays the first language's audio only
      if (Object.keys(pictures).some(function (lang) { return sharedPicture(lang, player.language) && lang !== player.language; })) {
        languageMenu.disabled = true;
        languageMenu.title = "Only the default language plays in this browser.";
        player.language = player.audio = first;
        languageMenu.value = first;
      }
      useMp4Tracks();
      report();
      if (reason) stateLine.textContent += " " + reason;
    }

    function wantedSubtitleTrack(hls) {
      return hls.subtitleTracks.findIndex(function (t) { return t.lang === player.subtitles; });
    }

    function startHlsJs() {
      player.mode = "hls.js";
      video.querySelectorAll("track").forEach(function (t) { t.remove(); });
      video.removeAttribute("src");
      video.load();
      // loading starts where the viewer is (another language's picture starts on the same step)
      const hls = new window.Hls({ renderTextTracksNatively: true, autoStartLoad: false });
      hls.subtitleDisplay = false; // the chosen track stays "hidden": the page draws its cues
      player.hls = hls;
      hls.on(window.Hls.Events.MANIFEST_PARSED, function () {
        player.loading = false;
        hls.startLoad(player.startAt);
        // the viewer's choice, not the playlist's DEFAULT, says whether subtitles show
        hls.subtitleTrack = wantedSubtitleTrack(hls);
        const current = hls.audioTracks[hls.audioTrack];
        player.audio = current ? current.lang : player.language;
        report();
      });
      hls.on(window.Hls.Events.AUDIO_TRACK_SWITCHED, function (event, data) {
        const track = hls.audioTracks[data.id];
        if (track) { player.audio = track.lang; report(); }
      });
      hls.on(window.Hls.Events.SUBTITLE_TRACK_SWITCH, function (event, data) {
        if (player.loading) return; // the old picture's tracks going away: not the viewer's choice
        const track = hls.subtitleTracks[data.id];
        player.subtitles = track ? track.lang : "";
        subtitleMenu.value = player.subtitles;
        report();
        drawCues();
      });
      hls.on(window.Hls.Events.ERROR, function (event, data) {
        if (data.fatal) startMp4("(Streaming failed; playing the MP4 instead.)");
      });
      hls.loadSource(picture(player.language).hls);
      hls.attachMedia(video);
    }

    function startNativeHls() {
      player.mode = "native-hls";
      video.querySelectorAll("track").forEach(function (t) { t.remove(); });
      video.src = picture(player.language).hls;
      video.addEventListener("error", function () { startMp4("(Streaming failed; playing the MP4 instead.)"); },
        { once: true });
      report();
    }

    // --- menus ----------------------------------------------------------------------------------
    function switchAudioOnly(wanted) {
      if (player.mode === "hls.js") {
        const index = player.hls.audioTracks.findIndex(function (t) { return t.lang === wanted; });
        if (index >= 0) player.hls.audioTrack = index;
        if (player.subtitles) player.hls.subtitleTrack = wantedSubtitleTrack(player.hls);
      } else if (player.mode === "native-hls" && video.audioTracks) {
        Array.from(video.audioTracks).forEach(function (t) { t.enabled = t.language === wanted; });
        player.audio = wanted;
      } else {
        useMp4Tracks();
      }
    }

    function switchLanguage(wanted) {
      const was = player.language;
      if (!wanted || wanted === was) return;
      const target = sameStep(picture(was), picture(wanted), video.currentTime);
      const playing = !video.paused;
      player.language = wanted;
      if (player.subtitles) { player.subtitles = wanted; subtitleMenu.value = wanted; }
      showSteps();
      if (sharedPicture(was, wanted)) {
        switchAudioOnly(wanted);
        report();
        return;
      }
      player.startAt = target;
      if (player.mode === "hls.js") {
        player.loading = true;
        player.hls.loadSource(picture(wanted).hls);
        if (playing) seekWhenReady(-1, true);
      } else if (player.mode === "native-hls") {
        video.src = picture(wanted).hls;
        seekWhenReady(target, playing);
      } else {
        video.src = picture(wanted).mp4;
        setMp4Tracks(picture(wanted));
        player.audio = wanted;
        seekWhenReady(target, playing);
        useMp4Tracks();
      }
      report();
    }

    languageMenu.addEventListener("change", function () { switchLanguage(languageMenu.value); });
    subtitleMenu.addEventListener("change", function () {
      const wanted = subtitleMenu.value;
      player.subtitles = wanted;
      if (player.mode === "hls.js") {
        player.hls.subtitleTrack = wantedSubtitleTrack(player.hls);
        if (!wanted) { report(); drawCues(); }
        return;
      }
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

    // A share link's page counts plays on the link (started once per page view, finished at the end);
    // the request goes to this site only, and a failure never disturbs playback.
    if (figure.dataset.plays) {
      let started = false;
      const count = function (event) {
        fetch(figure.dataset.plays, { method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ event: event }), credentials: "omit", keepalive: true }).catch(function () {});
      };
      video.addEventListener("play", function () { if (!started) { started = true; count("started"); } });
      video.addEventListener("ended", function () { count("finished"); started = false; });
    }

    if (window.Hls && window.Hls.isSupported()) startHlsJs();
    else if (video.canPlayType("application/vnd.apple.mpegurl")) startNativeHls();
    else startMp4("");
  }

  document.querySelectorAll("[data-player]").forEach(setup);
})();
